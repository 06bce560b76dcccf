/**
 * The blocks of a docs page that the cluster suite runs: each ```sh or ```yaml block preceded by
 * `<!-- test: cluster -->` within one `## ` section, with the page's placeholder names (e.g.
 * registry.example.com) replaced by the cluster's. test/docs/docs.test.ts checks the syntax of
 * their cnbkit lines; a cluster test runs them, so what the page shows is what ran.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "../e2e/support.js";

/** One marked block. */
export interface DocsBlock {
  readonly lang: "sh" | "yaml";
  readonly text: string;
}

/**
 * The marked blocks of `## <section>` in docs/`page`, in page order, each `from` string replaced
 * by its `to` (longest first, so a name inside another is not replaced early).
 */
export async function clusterBlocks(
  page: string,
  section: string,
  replace: Record<string, string>,
): Promise<DocsBlock[]> {
  const text = await readFile(join(ROOT, "docs", page), "utf8");
  const start = text.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`docs/${page}: no section "## ${section}"`);
  const end = text.indexOf("\n## ", start + 1);
  const body = text.slice(start, end < 0 ? undefined : end);
  const keys = Object.keys(replace).sort((a, b) => b.length - a.length);
  return [...body.matchAll(/<!-- test: cluster -->\s*\n```(sh|yaml)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1] as "sh" | "yaml",
    text: keys.reduce((t, k) => t.replaceAll(k, replace[k] ?? k), m[2] ?? ""),
  }));
}

/**
 * The commands of a sh block: one per line, `# comments` dropped, each split into words as a
 * shell would for the plain lines the docs use (single and double quotes, no expansion).
 */
export function shCommands(block: DocsBlock): string[][] {
  const out: string[][] = [];
  for (const raw of block.text.split("\n")) {
    const words: string[] = [];
    let word: string | undefined;
    let quote: string | undefined;
    for (const ch of raw) {
      if (quote) {
        if (ch === quote) quote = undefined;
        else word = (word ?? "") + ch;
      } else if (ch === "'" || ch === '"') {
        quote = ch;
        word = word ?? "";
      } else if (ch === "#" && word === undefined) break;
      else if (/\s/.test(ch)) {
        if (word !== undefined) words.push(word);
        word = undefined;
      } else word = (word ?? "") + ch;
    }
    if (quote) throw new Error(`an unclosed ${quote} in: ${raw}`);
    if (word !== undefined) words.push(word);
    if (words.length) out.push(words);
  }
  return out;
}
