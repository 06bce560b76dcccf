// Bundles the cnbkit CLI into one ESM file (builder-packager/dist/cnbkit.mjs, or the path
// given as the first argument) so it runs on plain Node without a TypeScript loader.
//
// The default output is the @cnbkit/builder-packager package's own dist/ (what `npm pack`
// ships; its prepack runs this script), so it also gets what `cnbkit new` copies, which lives
// outside the package in a checkout: templates/ as dist/templates/ and the CA certificates
// buildpack the builder template vendors as dist/ca-certificates/. A bundle written anywhere
// else (the tests' per-process CLIs) runs inside the checkout and reads them from there.
import { chmod, cp, mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { build } from "esbuild";
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
const outfile = process.argv[2] ? resolve(process.argv[2]) : join(packageDist, "cnbkit.mjs");
await build({
  ...nodeBundleOptions,
  entryPoints: [join(root, "builder-packager", "src", "cli", "bin.ts")],
  outfile,
  banner: { js: `#!/usr/bin/env node\n${nodeBundleOptions.banner.js}` },
  plugins: [absentValidators],
});
await chmod(outfile, 0o755);
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
