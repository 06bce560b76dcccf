/**
 * Every relative link in the repository's Markdown (the README, docs/, each package's and
 * stage's README) leads somewhere: to a file or folder that exists and, for `page.md#anchor`,
 * to a heading of that page, slugged as GitHub slugs it. Docs get split and renamed; a link
 * that silently 404s is the first thing a newcomer following it meets. Made-up pages show that
 * a missing file and a missing anchor each fail with a line naming page, link and what is wrong.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, onTestFinished, test } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Markdown with fenced blocks and inline code removed: links shown as code are not links. */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[\s\S]*?^\1/gm, "").replace(/`[^`\n]*`/g, "");
}

/** A heading's anchor as GitHub makes it: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors a page has: one per heading (repeats get `-1`, `-2`, ...) and any explicit `id`/`name`. */
function anchors(file: string): Set<string> {
  const text = readFileSync(file, "utf8").replace(/^(```|~~~)[\s\S]*?^\1/gm, "");
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const s = slug(m[1] ?? "");
    const n = seen.get(s) ?? 0;
    seen.set(s, n + 1);
    out.add(n === 0 ? s : `${s}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1] ?? "");
  return out;
}

/** One line for each relative link in `pages` (paths from `root`) that leads nowhere. */
function brokenLinks(root: string, pages: string[]): string[] {
  const problems: string[] = [];
  for (const page of pages) {
    const file = join(root, page);
    for (const m of prose(readFileSync(file, "utf8")).matchAll(/\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)/g)) {
      const href = m[1] ?? "";
      if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // https:, mailto:, ...
      const [path = "", anchor] = href.split("#");
      const target = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
      if (!existsSync(target)) {
        problems.push(`${page}: ${href}: there is no ${relative(root, target)}`);
      } else if (anchor && target.endsWith(".md") && !anchors(target).has(decodeURIComponent(anchor))) {
        problems.push(`${page}: ${href}: ${relative(root, target)} has no heading #${anchor}`);
      }
    }
  }
  return problems;
}

test("every relative link in the repository's Markdown leads to a file and heading that exist", () => {
  const pages = execFileSync("git", ["ls-files", "*.md"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((p) => p !== "" && !p.startsWith("docs/api/") && existsSync(join(ROOT, p)));
  expect(pages).toContain("README.md");
  expect(pages).toContain("docs/development.md");
  expect(brokenLinks(ROOT, pages)).toEqual([]);
});

test("a link to a missing page or a missing heading fails with a line naming both", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-doclinks-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "guide.md"), "# Guide\n\n## Other architectures\n\n## `CNB_*` and you\n");
  await writeFile(
    join(dir, "README.md"),
    [
      "See [the guide](guide.md), [its arm64 part](guide.md#other-architectures),",
      "[variables](guide.md#cnb_-and-you), [the site](https://example.com/x.md) and [here](#top).",
      "Broken: [gone](gone.md), [no heading](guide.md#multi-arch).",
      "Not links: `[code](nowhere.md)` and",
      "```md\n[fenced](nowhere.md)\n```",
      "# Top",
    ].join("\n"),
  );
  expect(brokenLinks(dir, ["README.md", "guide.md"])).toEqual([
    "README.md: gone.md: there is no gone.md",
    "README.md: guide.md#multi-arch: guide.md has no heading #multi-arch",
  ]);
});
