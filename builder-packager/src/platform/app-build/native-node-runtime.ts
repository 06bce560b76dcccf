/**
 * An emulated build's buildpacks, run on this machine's Node. A cnbkit buildpack is
 * JavaScript on the builder's shared Node.js runtime (`cnbkit/node-runtime`), and its code
 * does not depend on the CPU: what it builds for comes from `CNB_TARGET_ARCH`, and the tools
 * it starts (the app's Node.js, npm, pip, Maven, a compiler) are the target arch's, from its
 * layers and the build image, and still run under qemu. Under qemu the runtime itself costs
 * seconds per buildpack start and ten times its native time for what the buildpack does in
 * JavaScript (unpacking a Node.js or JDK tarball, hashing, SBOMs).
 *
 * So the runtime's `bin/node` is this machine's build of the same pinned Node in the build
 * container, with what it links against (this machine's `/usr/lib/<arch>-linux-gnu` and
 * dynamic loader, at their own multiarch paths, which the target's root never uses), and
 * the runtime's own Node beside it at `bin/node` + TARGET_NODE_SUFFIX, which exec.d's
 * `addSelf` copies into layers. Only when all of this is checked:
 * - the builder's runtime layer is cnbkit's own for the target arch (its diffID in the
 *   builder's `io.buildpacks.buildpack.layers` is the one cnbkit recorded when it packaged
 *   that runtime), and cnbkit has the same version for this machine's arch;
 * - every bundle in the builder that can copy its Node into a layer (it names
 *   EXEC_D_RUNTIME_DIR) knows TARGET_NODE_SUFFIX: an older framework copied `process.execPath`,
 *   which would put this machine's Node into the target's image.
 * Otherwise the runtime runs under qemu, as before.
 */
import { readdir, readFile, realpath } from "node:fs/promises";
import { join } from "node:path";
import { buildpackDirName } from "@cnbkit/framework/cnb-files";
import { BUNDLE_CHUNKS_DIR, EXEC_D_RUNTIME_DIR, TARGET_NODE_SUFFIX } from "@cnbkit/framework/packaging";
import { isFile } from "@cnbkit/framework/fs";
import { cnbkitCacheDir } from "../../cache/index.js";
import { BUNDLE_PATH, RUNTIME_MODULE_ID, RUNTIME_NODE_PATH } from "../../compile/index.js";
import type { BindMount } from "../../container/index.js";
import { hostPlatform } from "../../oci/index.js";

/** Where the builder's buildpacks are. */
const BUILDPACKS_DIR = "/cnb/buildpacks";

/** This machine's loader and libraries per arch, at the paths its Node asks for. */
const HOST_LIBS: Record<string, { loader: string; libs: string }> = {
  amd64: { loader: "/lib64/ld-linux-x86-64.so.2", libs: "/usr/lib/x86_64-linux-gnu" },
  arm64: { loader: "/lib/ld-linux-aarch64.so.1", libs: "/usr/lib/aarch64-linux-gnu" },
};

/**
 * The mounts that run the builder's buildpacks on this machine's Node (see the file's doc),
 * or why they run under qemu, in words for one log line.
 *
 * @example
 * const node = await nativeNodeRuntime(view.path, builder.labels, "arm64");
 */
export async function nativeNodeRuntime(
  rootfs: string,
  labels: Record<string, string>,
  targetArch: string,
  env: Record<string, string | undefined> = process.env,
): Promise<{ ok: true; mounts: BindMount[]; line: string } | { ok: false; reason: string }> {
  const host = hostPlatform().architecture;
  const libs = HOST_LIBS[host];
  if (!libs || HOST_LIBS[targetArch]?.libs === libs.libs) return { ok: false, reason: `no native runtime for ${host}` };
  const runtimeDir = join(BUILDPACKS_DIR, buildpackDirName(RUNTIME_MODULE_ID));
  const versions = await readdir(join(rootfs, runtimeDir)).catch(() => [] as string[]);
  if (versions.length === 0) return { ok: false, reason: `no buildpack runs on ${RUNTIME_MODULE_ID}` };
  const recorded = runtimeDiffIds(labels);
  const cache = join(cnbkitCacheDir(env), "node-runtime");
  const mounts: BindMount[] = [];
  for (const version of versions) {
    const mine = (await readFile(join(cache, `${version}-${targetArch}.diffid`), "utf8").catch(() => "")).trim();
    if (!mine || mine !== recorded[version]) {
      return { ok: false, reason: `the builder's ${RUNTIME_MODULE_ID} ${version} is not one cnbkit packaged here` };
    }
    const native = join(cache, `${version}-${host}`, RUNTIME_NODE_PATH);
    if (!(await isFile(native)))
      return { ok: false, reason: `cnbkit has no ${RUNTIME_MODULE_ID} ${version} for ${host}` };
    const node = join(runtimeDir, version, RUNTIME_NODE_PATH);
    mounts.push(
      { source: join(rootfs, node), destination: `${node}${TARGET_NODE_SUFFIX}`, readonly: true },
      { source: native, destination: node, readonly: true },
    );
  }
  const old = await bundleWithoutTargetNode(rootfs);
  if (old) return { ok: false, reason: `${old}'s framework would copy the Node running it into its layers` };
  mounts.push(
    { source: await realpath(libs.libs), destination: libs.libs, readonly: true },
    { source: await realpath(libs.loader), destination: libs.loader, readonly: true },
  );
  return {
    ok: true,
    mounts,
    line: `Running the buildpacks on this machine's Node.js (${RUNTIME_MODULE_ID} ${versions.join(", ")}); the tools they start run under qemu`,
  };
}

/** The runtime's layer diffID per version, from the builder's `io.buildpacks.buildpack.layers`. */
function runtimeDiffIds(labels: Record<string, string>): Record<string, string> {
  try {
    const layers = JSON.parse(labels["io.buildpacks.buildpack.layers"] ?? "{}") as Record<
      string,
      Record<string, { layerDiffID?: string }>
    >;
    return Object.fromEntries(
      Object.entries(layers[RUNTIME_MODULE_ID] ?? {}).map(([v, l]) => [v, l.layerDiffID ?? ""]),
    );
  } catch {
    return {};
  }
}

/** The first buildpack (its dir, `id_ version`) whose bundle may copy its Node into a layer and does not know TARGET_NODE_SUFFIX. */
async function bundleWithoutTargetNode(rootfs: string): Promise<string | undefined> {
  const root = join(rootfs, BUILDPACKS_DIR);
  for (const id of await readdir(root).catch(() => [] as string[])) {
    for (const version of await readdir(join(root, id)).catch(() => [] as string[])) {
      const lib = join(root, id, version, BUNDLE_PATH, "..");
      const files = [BUNDLE_PATH.split("/").at(-1) as string];
      for (const chunk of await readdir(join(lib, BUNDLE_CHUNKS_DIR)).catch(() => [] as string[])) {
        if (chunk.endsWith(".js")) files.push(join(BUNDLE_CHUNKS_DIR, chunk));
      }
      let copies = false;
      let knows = false;
      for (const file of files) {
        const text = await readFile(join(lib, file), "utf8").catch(() => "");
        copies ||= text.includes(EXEC_D_RUNTIME_DIR);
        knows ||= text.includes(TARGET_NODE_SUFFIX);
      }
      if (copies && !knows) return `${id} ${version}`;
    }
  }
  return undefined;
}
