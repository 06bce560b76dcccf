/**
 * The shared Node.js runtime: the pinned Node of one target arch laid out as a buildpack
 * (`cnbkit/node-runtime`, version = the Node version), so that it travels in buildpackages
 * and builders as one layer under `/cnb/buildpacks/cnbkit_node-runtime/<version>/`.
 *
 * Why a buildpack: pack, the lifecycle, registries and cnbkit already dedupe buildpack
 * layers by `id@version` and by diffID. Every cnbkit buildpackage lists the runtime in its
 * `io.buildpacks.buildpack.layers` label beside its own buildpack (as a composite lists its
 * parts), so a builder of five cnbkit buildpacks stores Node once. The runtime is in no
 * order: the lifecycle never runs it. Its bin/detect fails and its bin/build refuses, both
 * in a line that says what it is, should someone put it in an order anyway.
 *
 * The directory is built once per version and arch in the cnbkit cache and never changes,
 * so its layer is the same bytes (the same diffID) on every machine.
 */
import { link, mkdir, readdir, rename, rm, writeFile, copyFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { isFile } from "@cnbkit/framework/fs";
import { cnbkitCacheDir, withDirLock } from "../cache/index.js";
import { ensureNodeRuntime, type NodeArch, type NodeRuntimeOptions } from "./node-runtime.js";

/** The runtime's buildpack id. */
export const RUNTIME_MODULE_ID = "cnbkit/node-runtime";

/** Where the Node binary sits inside the runtime buildpack. */
export const RUNTIME_NODE_PATH = "bin/node";

/**
 * Bumped when the runtime directory's layout (not Node) changes, so a changed layer never
 * reuses an `id@version` that already names other bytes. Appended to the version when > 1.
 */
const LAYOUT_REVISION = 1;

/** The runtime buildpack of one arch, staged and ready to be a layer. */
export interface RuntimeModule {
  id: string;
  /** The Node version (plus `-r<revision>` after a layout change). */
  version: string;
  arch: NodeArch;
  /** The staged buildpack directory (buildpack.toml, bin/detect, bin/build, bin/node). */
  dir: string;
}

/** The runtime's version for a Node version. */
export function runtimeModuleVersion(nodeVersion: string): string {
  return LAYOUT_REVISION > 1 ? `${nodeVersion}-r${LAYOUT_REVISION}` : nodeVersion;
}

/**
 * Stages the runtime buildpack for `arch` under `<cache>/node-runtime/<version>-<arch>/`
 * (once; later calls return it). Safe across processes: built in a temp dir under a lock.
 *
 * @example
 * const rt = await ensureRuntimeModule("arm64");
 * // rt.dir/bin/node is the stripped Node 26 for arm64
 */
export async function ensureRuntimeModule(arch: NodeArch, options: NodeRuntimeOptions = {}): Promise<RuntimeModule> {
  const node = await ensureNodeRuntime(arch, options);
  const version = runtimeModuleVersion(node.version);
  const root = join(options.cacheDir ?? cnbkitCacheDir(), "node-runtime");
  const dir = join(root, `${version}-${arch}`);
  const module: RuntimeModule = { id: RUNTIME_MODULE_ID, version, arch, dir };
  if (await isFile(join(dir, RUNTIME_NODE_PATH))) return module;
  await mkdir(root, { recursive: true });
  await withDirLock(join(root, `.${version}-${arch}.lock`), async () => {
    if (await isFile(join(dir, RUNTIME_NODE_PATH))) return;
    for (const name of await readdir(root)) {
      if (name.startsWith(`.tmp-${version}-${arch}-`)) await rm(join(root, name), { recursive: true, force: true });
    }
    const tmp = join(root, `.tmp-${version}-${arch}-${process.pid}`);
    await mkdir(join(tmp, "bin"), { recursive: true });
    await writeFile(join(tmp, "buildpack.toml"), runtimeBuildpackToml(version, arch));
    await writeFile(join(tmp, "bin", "detect"), refuseScript(version, 100), { mode: 0o755 });
    await writeFile(join(tmp, "bin", "build"), refuseScript(version, 1), { mode: 0o755 });
    // A hardlink costs nothing; across filesystems (a cache on another mount) it is a copy.
    await link(node.stripped, join(tmp, RUNTIME_NODE_PATH)).catch(() =>
      copyFile(node.stripped, join(tmp, RUNTIME_NODE_PATH)),
    );
    await chmod(join(tmp, RUNTIME_NODE_PATH), 0o755);
    await rename(tmp, dir);
  });
  return module;
}

/** The runtime's buildpack.toml: API 0.10, one target, and what it is for. */
export function runtimeBuildpackToml(version: string, arch: NodeArch): string {
  return [
    'api = "0.10"',
    "",
    "[buildpack]",
    `id = "${RUNTIME_MODULE_ID}"`,
    `version = "${version}"`,
    'name = "cnbkit Node.js runtime"',
    'description = "The Node.js that cnbkit buildpacks run on, shared by every cnbkit buildpack in a builder. Not an app buildpack: it is in no order."',
    'homepage = "https://github.com/cnbkit/cnbkit"',
    "",
    "[[targets]]",
    'os = "linux"',
    `arch = "${arch}"`,
    "",
  ].join("\n");
}

/** bin/detect (exit 100) or bin/build (exit 1): a line that says the runtime is not an app buildpack. */
function refuseScript(version: string, code: number): string {
  return [
    "#!/bin/sh",
    `echo "${RUNTIME_MODULE_ID} ${version} is the Node.js runtime of cnbkit buildpacks, not an app buildpack; take it out of the order" >&2`,
    `exit ${code}`,
    "",
  ].join("\n");
}
