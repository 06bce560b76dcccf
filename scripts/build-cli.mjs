// Bundles the cnbkit CLI for plain Node (no TypeScript loader): an ESM entry,
// builder-packager/dist/cnbkit.mjs (or the path given as the first argument), and beside it
// chunks/, what the entry loads with import() only when a command runs. esbuild splits the
// bundle there (`splitting`), so `cnbkit --version` or `cnbkit fleet scan --help` parses the
// commands' declarations and not every stage's code and dependencies (2.9 MB in one file cost
// every command ~60-80 ms of its start; issue 76).
//
// The default output is the @cnbkit/builder-packager package's own dist/ (what `npm pack`
// ships; its prepack runs this script), so it also gets what `cnbkit new` copies, which lives
// outside the package in a checkout: templates/ as dist/templates/ and the CA certificates
// buildpack the builder template vendors as dist/ca-certificates/. A bundle written anywhere
// else (the tests' per-process CLIs) runs inside the checkout and reads them from there.
import { chmod, cp, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { build } from "esbuild";
import { directImports } from "./direct-imports.mjs";
import { nodeBundleOptions } from "./esbuild-node.mjs";

const root = new URL("..", import.meta.url).pathname;
const packageDist = join(root, "builder-packager", "dist");
/**
 * The CycloneDX library's schema validators (ajv), which it tries to load in a try block as it
 * starts, are absent from the CLI whatever node_modules the bundle sits beside: cnbkit never
 * validates with them, and in a checkout (where ajv is installed for the tests) loading them cost
 * every command ~80 ms of its start, which an installed CLI (no ajv) does not pay.
 */
const absentValidators = {
  name: "absent-validators",
  setup(b) {
    b.onResolve({ filter: /^ajv(-formats(-draft2019)?)?$/ }, (a) => ({ path: a.path, namespace: "absent" }));
    b.onLoad({ filter: /.*/, namespace: "absent" }, (a) => ({
      contents: `throw Object.assign(new Error("Cannot find module '${a.path}' (not in cnbkit's CLI)"), { code: "MODULE_NOT_FOUND" });`,
      loader: "js",
    }));
  },
};
/**
 * How long a chunk no build wrote since stays, for CLIs still running from an older entry. None
 * when `npm pack` runs this (prepack): the package ships dist/chunks/ whole, this build's only.
 */
const CHUNK_GRACE_MS = process.env.npm_lifecycle_event === "prepack" ? 0 : 60 * 60 * 1000;

const outfile = process.argv[2] ? resolve(process.argv[2]) : join(packageDist, "cnbkit.mjs");
await bundle(outfile);
if (dirname(outfile) === packageDist) {
  await copyAssets(join(root, "templates"), join(packageDist, "templates"));
  // The files scaffold.ts vendors (VENDORED there): no package.json, no node_modules.
  await copyAssets(join(root, "buildpacks", "ca-certificates"), join(packageDist, "ca-certificates"), [
    "buildpack.toml",
    "README.md",
    "src",
    "testdata",
  ]);
}

/**
 * Copies `from` (only the top-level entries `only`, when given) to `to`, leaving out what
 * `cnbkit new` skips (node_modules, out/, dist/, .cnb files). Written beside `to` and renamed
 * into place, so a concurrent build never leaves a half-copied tree behind.
 */
async function copyAssets(from, to, only) {
  const tmp = join(dirname(to), `.${basename(to)}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const keep = (src) => !/(^|\/)(node_modules|out|dist)(\/|$)/.test(src.slice(from.length)) && !src.endsWith(".cnb");
  for (const entry of only ?? [""]) {
    await cp(join(from, entry), join(tmp, entry), { recursive: true, filter: keep });
  }
  const old = `${tmp}.old`;
  await rename(to, old).catch((err) => {
    if (err.code !== "ENOENT") throw err;
  });
  await rename(tmp, to);
  await rm(old, { recursive: true, force: true });
}

/**
 * Bundles the CLI to `outfile` and its chunks to `chunks/` beside it. Written to a directory
 * of its own first; then the chunks are moved in (content-hashed names: a chunk that is there
 * already has the same bytes) before the entry is renamed over the old one, so a CLI started
 * meanwhile finds every chunk its entry names.
 */
async function bundle(outfile) {
  const ext = extname(outfile) || ".mjs";
  const tmp = join(dirname(outfile), `.${basename(outfile)}-${process.pid}`);
  const chunks = join(dirname(outfile), "chunks");
  const written = new Set();
  await rm(tmp, { recursive: true, force: true });
  try {
    const result = await build({
      ...nodeBundleOptions,
      entryPoints: { [basename(outfile, ext)]: join(root, "builder-packager", "src", "cli", "bin.ts") },
      outdir: tmp,
      splitting: true,
      chunkNames: "chunks/[name]-[hash]",
      outExtension: { ".js": ext },
      banner: { js: `#!/usr/bin/env node\n${nodeBundleOptions.banner.js}` },
      plugins: [absentValidators, directImports],
      metafile: true,
    });
    await mkdir(chunks, { recursive: true });
    for (const file of Object.keys(result.metafile.outputs).map((f) => resolve(f))) {
      if (dirname(file) !== join(tmp, "chunks")) continue;
      written.add(basename(file));
      await rename(file, join(chunks, basename(file)));
    }
    await chmod(join(tmp, basename(outfile)), 0o755);
    await rename(join(tmp, basename(outfile)), outfile);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await pruneChunks(chunks, written);
}

/**
 * Removes the chunks of older builds, so they do not pile up across rebuilds: those this build
 * did not write, once they are CHUNK_GRACE_MS old (a `cnbkit build` started from the previous
 * entry may still import one of them).
 */
async function pruneChunks(chunks, written) {
  const now = Date.now();
  for (const name of await readdir(chunks)) {
    if (written.has(name)) continue;
    const file = join(chunks, name);
    const st = await stat(file).catch(() => undefined);
    if (st && now - st.mtimeMs >= CHUNK_GRACE_MS) await rm(file, { force: true });
  }
}
