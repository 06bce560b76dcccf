// Runs a TypeScript benchmark: bundles it with esbuild (as the CLI is bundled) into a temp
// file beside this one, so external packages (esbuild) resolve from the repo, and imports it. Usage: node bench/run.mjs bench/<name>.bench.ts
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { nodeBundleOptions } from "../scripts/esbuild-node.mjs";

const entry = process.argv[2];
if (!entry) {
  console.error("usage: node bench/run.mjs <bench.ts>");
  process.exit(2);
}
const out = new URL(".out/", import.meta.url).pathname;
await mkdir(out, { recursive: true });
const dir = await mkdtemp(join(out, "run-"));
const outfile = join(dir, "bench.mjs");
try {
  await build({
    ...nodeBundleOptions,
    entryPoints: [resolve(entry)],
    outfile,
    define: { ...nodeBundleOptions.define, "import.meta.dirname": JSON.stringify(resolve(entry, "..")) },
  });
  await import(pathToFileURL(outfile).href);
} finally {
  await rm(dir, { recursive: true, force: true });
}
