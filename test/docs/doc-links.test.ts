/**
 * Every relative link of the docs, the README and the stage READMEs leads somewhere: the file
 * exists and, for `page.md#anchor`, the page has a heading with that anchor (as GitHub makes
 * them). Pages are split and sections move as the docs grow; a link left behind would send a
 * reader to the top of the wrong page, and nothing else would notice. And every page of docs/
 * is a row of its index, docs/README.md: a page split off that the index does not name is
 * found by no one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect, test } from "vitest";

const repo = join(import.meta.dirname, "..", "..");

/** The anchors GitHub gives a page's headings: lowercased, punctuation dropped, spaces to `-`, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "");
  for (const m of prose.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The markdown files whose links are checked: docs/*.md, README.md and every README.md under the packages' src. */
function pages(): string[] {
  const out = [join(repo, "README.md")];
  for (const f of readdirSync(join(repo, "docs"))) if (f.endsWith(".md")) out.push(join(repo, "docs", f));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name === "dist") continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === "README.md") out.push(p);
    }
  };
  for (const root of ["builder-packager/src", "framework/src"]) walk(join(repo, root));
  return out;
}

test("every relative link of the docs and READMEs names a file that exists and a heading it has", () => {
  const broken: string[] = [];
  let toHeadings = 0;
  for (const page of pages()) {
    const text = readFileSync(page, "utf8").replace(/^```[\s\S]*?^```/gm, "");
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/.test(link)) continue; // https:, mailto:
      const [path, anchor] = link.split("#") as [string, string | undefined];
      const target = path === "" ? page : resolve(dirname(page), path);
      const where = `${relative(repo, page)}: ${link}`;
      if (!existsSync(target)) {
        broken.push(`${where} (no such file)`);
        continue;
      }
      if (anchor && target.endsWith(".md") && statSync(target).isFile()) {
        toHeadings++;
        if (!anchors(readFileSync(target, "utf8")).has(anchor)) broken.push(`${where} (no such heading)`);
      }
    }
  }
  expect(broken).toEqual([]);
  expect(toHeadings, "links to headings checked").toBeGreaterThan(10);
});

test("anchors are made as GitHub makes them", () => {
  const a = anchors("# Fleets: what runs\n## The inventory file (`cnbkit.fleet.inventory/v1`)\n## Up\n## Up\n");
  expect([...a]).toEqual(["fleets-what-runs", "the-inventory-file-cnbkitfleetinventoryv1", "up", "up-1"]);
});

test("every page of docs/ is a row of the docs index, so a page split off is found from docs/README.md", () => {
  const index = readFileSync(join(repo, "docs", "README.md"), "utf8");
  const missing = readdirSync(join(repo, "docs")).filter(
    (f) => f.endsWith(".md") && f !== "README.md" && !index.includes(`](${f})`),
  );
  expect(missing, "pages docs/README.md does not link").toEqual([]);
});
