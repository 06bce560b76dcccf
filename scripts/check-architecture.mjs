#!/usr/bin/env node
// @ts-check
/**
 * `npm run lint:architecture`: docs/architecture.md's stage table says what dependency-cruiser
 * finds, or lint fails. Each folder of builder-packager/src is one row (stage = folder name),
 * no row names a folder that is gone, and each row's "uses" column lists exactly the stages
 * that the stage's product code (not its tests or test support) imports, type-only imports
 * included. A parenthesis after a stage's name says why and is not read; `—` is none.
 *
 * The README's stage list (the "- `stage`: ..." items of its "## Layout" section) names
 * exactly the folders of builder-packager/src too, so a newcomer's first page lists every stage.
 *
 * Why a check and not a generated table: the table's "owns" column and the notes in "uses"
 * are prose a person writes; what can drift (the arrows) is what the check reads.
 *
 * Usage: node scripts/check-architecture.mjs [--doc <file>] [--graph <file.json>] [--readme <file>]
 * `--graph` reads `{ "<stage>": ["<used stage>", ...] }` instead of running dependency-cruiser
 * (test/repo-shape/architecture-doc.test.ts gives it made-up graphs and docs); its stages are
 * then the folders, and the README is checked only when `--readme` names one.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = "builder-packager/src";
const STAGE = /^builder-packager\/src\/([^/]+)\//;
/** Tests and their support, which may use other stages' test support: not arrows of the design. */
const TEST_FILE = /(\.test\.ts|\/test-[^/]+\.ts)$/;

/**
 * The stage graph dependency-cruiser finds: stage → the other stages its product code imports.
 * @returns {Record<string, string[]>}
 */
function cruisedGraph() {
  const bin = join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
  const r = spawnSync(
    process.execPath,
    [bin, SRC, "--config", ".dependency-cruiser.cjs", "--output-type", "json", "--no-progress"],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
  );
  if (r.error) throw r.error;
  /** @type {{ modules: { source: string, dependencies: { resolved: string }[] }[] }} */
  let result;
  try {
    result = JSON.parse(r.stdout);
  } catch {
    throw new Error(`dependency-cruiser gave no JSON (exit ${r.status}): ${r.stderr.trim().split("\n")[0] ?? ""}`);
  }
  /** @type {Record<string, Set<string>>} */
  const graph = {};
  for (const mod of result.modules) {
    const from = mod.source.match(STAGE)?.[1];
    if (!from || TEST_FILE.test(mod.source)) continue;
    graph[from] ??= new Set();
    for (const dep of mod.dependencies) {
      const to = dep.resolved.match(STAGE)?.[1];
      if (to && to !== from) graph[from].add(to);
    }
  }
  return Object.fromEntries(Object.entries(graph).map(([k, v]) => [k, [...v].sort()]));
}

/**
 * The rows of the doc's "## The stages" table: stage, folder, and the stages named in "uses".
 * @param {string} doc
 * @returns {{ stage: string, folder: string, uses: string[] }[]}
 */
export function stageTable(doc) {
  const section = doc.split(/^## /m).find((s) => s.startsWith("The stages"));
  if (!section) throw new Error('no "## The stages" section');
  const rows = section.split("\n").filter((l) => l.startsWith("|"));
  const header = rows[0]?.split("|").map((c) => c.trim());
  if (header?.[1] !== "stage" || header?.[2] !== "folder" || header?.at(-2) !== "uses") {
    throw new Error('the stage table\'s columns are not "stage | folder | ... | uses"');
  }
  return rows.slice(2).map((row) => {
    const cells = row.split("|").map((c) => c.trim());
    const uses = (cells.at(-2) ?? "")
      .replace(/\([^()]*\)/g, "") // the why, in parentheses
      .split(",")
      .map((u) => u.trim())
      .filter((u) => u !== "" && u !== "—");
    return { stage: cells[1] ?? "", folder: (cells[2] ?? "").replace(/`/g, ""), uses };
  });
}

/**
 * What is false in the stage table against `graph` and the stage folders there are: one line each.
 * @param {string} doc
 * @param {Record<string, string[]>} graph
 * @param {string[]} folders the folders of builder-packager/src
 * @returns {string[]}
 */
export function tableProblems(doc, graph, folders) {
  const problems = [];
  const rows = stageTable(doc);
  const byStage = new Map(rows.map((r) => [r.stage, r]));
  for (const folder of folders) {
    if (!byStage.has(folder)) problems.push(`stage ${folder} (${SRC}/${folder}/) has no row`);
  }
  for (const row of rows) {
    if (row.folder !== `${SRC}/${row.stage}/`) {
      problems.push(`stage ${row.stage}: its folder is ${SRC}/${row.stage}/, the row says ${row.folder}`);
    }
    if (!folders.includes(row.stage)) {
      problems.push(`stage ${row.stage}: there is no ${SRC}/${row.stage}/ any more`);
      continue;
    }
    const found = graph[row.stage] ?? [];
    const extra = row.uses.filter((u) => !found.includes(u));
    const missing = found.filter((u) => !row.uses.includes(u));
    if (extra.length) problems.push(`stage ${row.stage}: the row says it uses ${extra.join(", ")}, and it does not`);
    if (missing.length) problems.push(`stage ${row.stage}: it uses ${missing.join(", ")}, and the row does not say so`);
  }
  return problems;
}

/**
 * The stages the README's "## Layout" section lists, one "- `stage`: what it owns" item each.
 * @param {string} readme
 * @returns {string[]}
 */
export function readmeStages(readme) {
  const section = readme.split(/^## /m).find((s) => s.startsWith("Layout"));
  if (!section) throw new Error('no "## Layout" section');
  return [...section.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1] ?? "");
}

/**
 * What is false in the README's stage list against the stage folders there are: one line each.
 * @param {string} readme
 * @param {string[]} folders the folders of builder-packager/src
 * @returns {string[]}
 */
export function readmeProblems(readme, folders) {
  const listed = readmeStages(readme);
  const problems = [];
  for (const folder of folders) {
    if (!listed.includes(folder))
      problems.push(`stage ${folder} (${SRC}/${folder}/) is not in the Layout's stage list`);
  }
  for (const [i, stage] of listed.entries()) {
    if (!folders.includes(stage))
      problems.push(`the Layout's stage list names ${stage}, and there is no ${SRC}/${stage}/`);
    else if (listed.indexOf(stage) !== i) problems.push(`the Layout's stage list names ${stage} twice`);
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { doc: { type: "string" }, graph: { type: "string" }, readme: { type: "string" } },
  });
  const docPath = values.doc ?? join(ROOT, "docs/architecture.md");
  const graph = values.graph ? JSON.parse(readFileSync(values.graph, "utf8")) : cruisedGraph();
  const folders = values.graph
    ? Object.keys(graph)
    : readdirSync(join(ROOT, SRC), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
  const problems = tableProblems(readFileSync(docPath, "utf8"), graph, folders);
  if (problems.length) {
    for (const p of problems) process.stderr.write(`error: docs/architecture.md: ${p}\n`);
    process.stderr.write(
      "  the stage table must say what dependency-cruiser finds: fix the row (or the import), then rerun npm run lint\n",
    );
  }
  // Made-up graphs come with made-up folders, so the real README is read only against the real tree.
  const readmePath = values.readme ?? (values.graph ? undefined : join(ROOT, "README.md"));
  const readme = readmePath ? readmeProblems(readFileSync(readmePath, "utf8"), folders) : [];
  if (readme.length) {
    for (const p of readme) process.stderr.write(`error: README.md: ${p}\n`);
    process.stderr.write(`  list each folder of ${SRC} once, as "- \`stage\`: what it owns", under ## Layout\n`);
  }
  if (problems.length || readme.length) process.exit(1);
}
