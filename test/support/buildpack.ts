/**
 * Writes a buildpack made with @cnbkit/framework into a {@link Workspace}, the way the
 * packager lays it out (bin/main with bin/detect and bin/build linked to it), but as a
 * bundled script run by the host's Node instead of a single executable application, so a
 * conformance test can bundle several buildpacks in well under a second.
 */
import { chmod, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Workspace } from "./lifecycle.js";

/** What {@link writeFrameworkBuildpack} needs. */
export interface FrameworkBuildpackOptions {
  /** Buildpack id, e.g. "test/node". */
  id: string;
  version: string;
  /** Buildpack API (default "0.12"). */
  api?: string;
  /** TS module text that imports "@cnbkit/framework" and calls `buildpack({ ... })`. */
  source: string;
  /** Extra TOML appended after `[buildpack]` (e.g. `sbom-formats`, `[metadata]`, `[[stacks]]`). */
  buildpackToml?: string;
  /** Extra keys inside `[buildpack]` (e.g. `clear-env = true`). */
  buildpackKeys?: string;
  /** Replace buildpack.toml entirely (for tests of a broken descriptor). */
  rawBuildpackToml?: string;
}

/** The directory a buildpack lands in: `<buildpacks>/<id with / as _>/<version>`. */
export function buildpackDir(ws: Workspace, id: string, version: string): string {
  return join(ws.buildpacks, id.replaceAll("/", "_"), version);
}

/**
 * Bundles `source` with esbuild (CommonJS, Node target of the host) into
 * `<buildpacks>/<id_>/<version>/bin/main` behind `#!/usr/bin/env node`, links bin/detect and
 * bin/build to it, and writes buildpack.toml. Returns the buildpack directory.
 *
 * The source is written under the workspace (outside the repo); "@cnbkit/framework"
 * resolves through the repo's node_modules (esbuild `nodePaths`).
 *
 * @example
 * await writeFrameworkBuildpack(ws, { id: "t/a", version: "1.0.0", source: `
 *   import { buildpack } from "@cnbkit/framework";
 *   buildpack({ detect: (ctx) => ctx.pass(), build: () => ({}) });` });
 */
export async function writeFrameworkBuildpack(ws: Workspace, options: FrameworkBuildpackOptions): Promise<string> {
  const dir = buildpackDir(ws, options.id, options.version);
  const srcDir = join(ws.root, "src", options.id.replaceAll("/", "_"), options.version);
  await mkdir(srcDir, { recursive: true });
  const entry = join(srcDir, "index.ts");
  await writeFile(entry, options.source);
  const code = await bundleOnce(options.source, entry);
  const bin = join(dir, "bin");
  await rm(dir, { recursive: true, force: true });
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, "main"), `#!/usr/bin/env node\n${code}`);
  await chmod(join(bin, "main"), 0o755);
  await symlink("main", join(bin, "detect"));
  await symlink("main", join(bin, "build"));
  const toml =
    options.rawBuildpackToml ??
    [
      `api = ${JSON.stringify(options.api ?? "0.12")}`,
      "",
      "[buildpack]",
      `id = ${JSON.stringify(options.id)}`,
      `version = ${JSON.stringify(options.version)}`,
      `name = ${JSON.stringify(`Test ${options.id}`)}`,
      ...(options.buildpackKeys ? [options.buildpackKeys] : []),
      "",
      options.buildpackToml ?? "",
    ].join("\n");
  await writeFile(join(dir, "buildpack.toml"), `${toml}\n`);
  return dir;
}

/** Bundles by source text: a suite that installs one program under several ids bundles it once. */
const bundles = new Map<string, Promise<string>>();
function bundleOnce(source: string, entry: string): Promise<string> {
  let code = bundles.get(source);
  if (!code) {
    code = bundle(entry);
    bundles.set(source, code);
    code.catch(() => bundles.delete(source));
  }
  return code;
}

/** The repo's node_modules, where the workspace links @cnbkit/framework. */
const NODE_MODULES = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "node_modules");

/**
 * esbuild with the packager's settings (CommonJS, node platform, `import.meta` rewritten
 * from `__filename`). The optional CycloneDX plugins (XML writers, a JSON-schema format
 * pack) are loaded lazily by the library inside try/catch and are not installed, so they
 * stay external: the packager's own bundleBuildpack fails on them (see the report).
 */
async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "node",
    format: "cjs",
    target: `node${process.versions.node.split(".")[0]}`,
    logLevel: "silent",
    nodePaths: [NODE_MODULES],
    external: ["xmlbuilder2", "libxmljs2", "ajv-formats-draft2019"],
    define: {
      "import.meta.url": "__cnbkit_import_meta_url",
      "import.meta.filename": "__filename",
      "import.meta.dirname": "__dirname",
    },
    banner: { js: 'var __cnbkit_import_meta_url=require("node:url").pathToFileURL(__filename).href;' },
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`${entry}: esbuild produced no output`);
  return out.text;
}
