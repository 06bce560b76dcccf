/**
 * scripts/check-architecture.mjs (`npm run lint:architecture`) on made-up stage graphs: a stage
 * table that says what the graph holds passes, and each way a table can be false (a missing
 * arrow, an arrow too many, a stage with no row, a row for a folder that is gone, a row naming
 * the wrong folder) fails with its own line. So does the README's stage list (a stage left out,
 * one that is gone, one named twice). The real docs against the real tree are lint's job.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, onTestFinished, test } from "vitest";

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), "../../scripts/check-architecture.mjs");

/** A doc whose stage table has `rows` (stage, uses), each stage in its own folder. */
function doc(rows: [string, string][], folderOf: (stage: string) => string = (s) => s): string {
  const lines = rows.map(
    ([s, uses]) => `| ${s} | \`builder-packager/src/${folderOf(s)}/\` | what ${s} owns | ${uses} |`,
  );
  return [
    "# Architecture",
    "",
    "## The stages",
    "",
    "| stage | folder | owns | uses |",
    "|---|---|---|---|",
    ...lines,
    "",
    "## Next",
    "| a | b |",
  ].join("\n");
}

/** A README whose Layout section lists `stages`, between a table and prose as the real one has them. */
function readme(stages: string[]): string {
  return [
    "# cnbkit",
    "",
    "- **`@cnbkit/framework`** (`framework/`): not a stage",
    "",
    "## Layout",
    "",
    "| path | what |",
    "|---|---|",
    "| `framework/` | the framework |",
    "",
    ...stages.map((s) => `- \`${s}\`: what ${s} owns`),
    "",
    "## Next",
    "- `cli`: not in the Layout section",
  ].join("\n");
}

/** Runs the check on `text` (and `readmeText`) against `graph`; its exit status and its error lines. */
async function check(
  text: string,
  graph: Record<string, string[]>,
  readmeText?: string,
): Promise<{ status: number | null; errors: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-archdoc-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "architecture.md"), text);
  await writeFile(join(dir, "graph.json"), JSON.stringify(graph));
  const args = [SCRIPT, "--doc", join(dir, "architecture.md"), "--graph", join(dir, "graph.json")];
  if (readmeText !== undefined) {
    await writeFile(join(dir, "README.md"), readmeText);
    args.push("--readme", join(dir, "README.md"));
  }
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  return { status: r.status, errors: r.stderr.split("\n").filter((l) => l.startsWith("error: ")) };
}

const graph = { oci: ["cache"], cache: [], platform: ["cache", "oci"] };

test("a table that says what the graph holds passes; a parenthesis says why and is not read", async () => {
  const r = await check(
    doc([
      ["oci", "cache"],
      ["cache", "—"],
      ["platform", "oci (images), cache"],
    ]),
    graph,
  );
  expect(r).toEqual({ status: 0, errors: [] });
});

test("each false row fails with a line that names the stage and what is false", async () => {
  const r = await check(
    doc(
      [
        ["oci", "—"],
        ["cache", "oci"],
        ["platform", "oci, cache"],
        ["gone", "cache"],
      ],
      (s) => (s === "platform" ? "plat" : s),
    ),
    { ...graph, extensions: ["oci"] },
  );
  expect(r.status).toBe(1);
  expect(r.errors).toEqual([
    "error: docs/architecture.md: stage extensions (builder-packager/src/extensions/) has no row",
    "error: docs/architecture.md: stage oci: it uses cache, and the row does not say so",
    "error: docs/architecture.md: stage cache: the row says it uses oci, and it does not",
    "error: docs/architecture.md: stage platform: its folder is builder-packager/src/platform/, the row says builder-packager/src/plat/",
    "error: docs/architecture.md: stage gone: there is no builder-packager/src/gone/ any more",
  ]);
});

const table = doc([
  ["oci", "cache"],
  ["cache", "—"],
  ["platform", "oci, cache"],
]);

test("a README whose Layout lists every stage once passes, in any order", async () => {
  expect(await check(table, graph, readme(["platform", "oci", "cache"]))).toEqual({ status: 0, errors: [] });
});

test("a README stage list that leaves a stage out, names one that is gone or one twice fails", async () => {
  const r = await check(table, graph, readme(["oci", "gone", "oci"]));
  expect(r.status).toBe(1);
  expect(r.errors).toEqual([
    "error: README.md: stage cache (builder-packager/src/cache/) is not in the Layout's stage list",
    "error: README.md: stage platform (builder-packager/src/platform/) is not in the Layout's stage list",
    "error: README.md: the Layout's stage list names gone, and there is no builder-packager/src/gone/",
    "error: README.md: the Layout's stage list names oci twice",
  ]);
});
