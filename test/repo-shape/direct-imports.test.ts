/**
 * scripts/direct-imports.mjs, the CLI bundle's plugin that imports past an index.ts: a chunk
 * gets the files whose names it uses, not every file the index.ts re-exports, and what is not
 * a plain re-export is left alone.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, expect, test } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { directImports } from "../../scripts/direct-imports.mjs";

let work = "";
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Writes `files` under `<work>/framework/src/` (where the plugin applies) and bundles `entry`, split. */
async function bundle(files: Record<string, string>, entry: string): Promise<Record<string, string>> {
  const src = join(work, "framework", "src");
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(src, path)), { recursive: true });
    await writeFile(join(src, path), text);
  }
  const outdir = join(work, "out");
  await rm(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [join(src, entry)],
    bundle: true,
    format: "esm",
    splitting: true,
    outdir,
    plugins: [directImports],
    logLevel: "silent",
  });
  const out: Record<string, string> = {};
  for (const f of await readdir(outdir)) out[f] = await readFile(join(outdir, f), "utf8");
  return out;
}

const LIB = {
  "lib/index.ts": [
    "/** The lib: re-exports only. */",
    'export { one, two as second } from "./one.js";',
    'export * from "./three.js";',
    'export type { Shape } from "./shape.js";',
    'export { heavy } from "./heavy.js";',
  ].join("\n"),
  "lib/one.ts": 'export const one = "ONE";\nexport function two() { return "TWO"; }\n',
  "lib/three.ts": 'export const three = "THREE";\n',
  "lib/shape.ts": "export interface Shape { n: number }\n",
  "lib/heavy.ts": 'export const heavy = "HEAVY".repeat(2);\n',
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-direct-imports-"));
});

test("the entry's chunks hold the re-exported files it names (aliases, export * and types too), not the rest", async () => {
  const out = await bundle(
    {
      ...LIB,
      "main.ts": [
        'import { one, second as two, three, type Shape } from "./lib/index.js";',
        "const s: Shape = { n: 1 };",
        "console.log(one, two(), three, s);",
        'export const later = () => import("./later.js");',
      ].join("\n"),
      "later.ts": 'import { heavy } from "./lib/index.js";\nexport const h = heavy;\n',
    },
    "main.ts",
  );
  const main = out["main.js"] ?? "";
  const imported = [...main.matchAll(/from "\.\/([^"]+)"/g)].map((m) => out[m[1] ?? ""] ?? "").join("\n");
  const start = main + imported;
  expect(start).toContain('"ONE"');
  expect(start).toContain('"TWO"');
  expect(start).toContain('"THREE"');
  // Without the plugin, esbuild gives the entry's chunk every file lib/index.ts reaches.
  expect(start).not.toContain('"HEAVY"');
  expect(Object.values(out).join("\n")).toContain('"HEAVY"');
});

test("a namespace import and an index.ts with statements of its own are left as they are", async () => {
  const out = await bundle(
    {
      ...LIB,
      "mixed/index.ts": 'export { one } from "../lib/one.js";\nexport const own = "OWN";\n',
      "main2.ts": [
        'import * as lib from "./lib/index.js";',
        'import { one } from "./mixed/index.js";',
        "console.log(lib.three, one);",
      ].join("\n"),
    },
    "main2.ts",
  );
  const all = Object.values(out).join("\n");
  expect(all).toContain('"THREE"');
  expect(all).toContain('"ONE"');
});
