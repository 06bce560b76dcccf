#!/usr/bin/env node
/**
 * Switches framework/package.json between its in-repo form and its published form.
 *
 * In the repo, `exports` point at the TypeScript sources (`./src/x/index.ts`), so tsc,
 * vitest and esbuild (the buildpack bundler) read the sources with no build step, and a
 * project scaffolded with a `file:` dependency on this folder does too. A registry package
 * must ship JavaScript and declarations instead: `prepack` (run by `npm pack` and
 * `npm publish`) compiles src to dist (tsconfig.build.json) and runs `write`, which maps
 * every `./src/<path>.ts` export to `{ types: ./dist/<path>.d.ts, default: ./dist/<path>.js }`
 * and keeps the in-repo manifest in `.package.repo.json`; `postpack` runs `restore`.
 *
 *   node scripts/publish-manifest.mjs write | restore | check
 *
 * `check` fails when package.json is in its published form (a pack that died before
 * `postpack`), so the repo never runs against a half-switched manifest unnoticed.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = join(root, "package.json");
const saved = join(root, ".package.repo.json");

/** `./src/a/index.ts` -> `./dist/a/index` (no extension), or undefined for anything else. */
function distBase(target) {
  const m = /^\.\/src\/(.+)\.ts$/.exec(target);
  return m ? `./dist/${m[1]}` : undefined;
}

function fail(message) {
  process.stderr.write(`error: framework/package.json: ${message}\n`);
  process.exit(1);
}

/** The published manifest for an in-repo one. */
export function publishedManifest(pkg) {
  const exports = {};
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    const base = typeof target === "string" ? distBase(target) : undefined;
    if (!base) fail(`exports["${key}"] must be "./src/<path>.ts", not ${JSON.stringify(target)}`);
    if (!existsSync(join(root, `${base}.js`)) || !existsSync(join(root, `${base}.d.ts`))) {
      fail(`${base}.js or .d.ts is missing: run "npm run build -w framework" first`);
    }
    exports[key] = { types: `${base}.d.ts`, default: `${base}.js` };
  }
  const main = exports["."];
  // The scripts build this folder; an installed package has nothing to build.
  const { scripts: _scripts, ...rest } = pkg;
  return { ...rest, exports, ...(main ? { main: main.default, types: main.types } : {}) };
}

const command = process.argv[2];
if (command === "write") {
  if (existsSync(saved)) fail(`${saved} exists: a previous pack did not finish; run "restore" first`);
  const text = readFileSync(manifest, "utf8");
  const pkg = JSON.parse(text);
  const out = publishedManifest(pkg);
  writeFileSync(saved, text);
  writeFileSync(manifest, `${JSON.stringify(out, null, 2)}\n`);
} else if (command === "restore") {
  if (existsSync(saved)) renameSync(saved, manifest);
} else if (command === "check") {
  if (existsSync(saved))
    fail(`is in its published form (${saved} exists); run "node framework/scripts/publish-manifest.mjs restore"`);
} else {
  fail(`usage: publish-manifest.mjs write | restore | check (got ${command ?? "nothing"})`);
}
