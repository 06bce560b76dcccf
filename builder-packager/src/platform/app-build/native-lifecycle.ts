/**
 * An emulated build's lifecycle, run natively. Building for another arch runs the builder's
 * lifecycle under qemu, and the lifecycle is the part of a build that depends least on the
 * CPU: it reads and writes files and layouts, and its exporter spends most of an emulated
 * build's export gzipping and hashing layers (node-hello's arm64 export: ~40 s under qemu).
 * Only the buildpacks, and the tools they run, must run as the target arch.
 *
 * So when cnbkit holds this machine's build of the very lifecycle the builder carries, that
 * build runs every phase instead; the buildpacks it starts (bin/detect, bin/build) are still
 * the builder's, under qemu. "The very lifecycle" is checked, not assumed:
 * - the builder's `/cnb/lifecycle/lifecycle` is byte for byte cnbkit's build of it for the
 *   target arch (scripts/setup.sh's `lifecycle/<version>-<arch>`);
 * - this machine's build is of the same version and the same cnbkit patches (the
 *   `.cnbkit-patches` key), so both come from one source tree.
 * Anything else (a release tarball, another version, a builder from elsewhere) runs the
 * builder's own lifecycle under qemu, as before.
 *
 * Why it gives the same image: the lifecycle decides nothing by the CPU it runs on here.
 * The target comes from the run image (`CNB_TARGET_*` and buildpack target matching use the
 * run image's os/arch, which analyze records), the images are read and written as OCI
 * layouts with one manifest each (no platform is picked), and the launcher, its SBOM and
 * lifecycle.toml the exporter puts in the image are still read from the builder's
 * `/cnb/lifecycle`. The native binary sits beside it, at {@link NATIVE_LIFECYCLE_DIR}.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { isFile } from "@cnbkit/framework/fs";
import { cachedLifecycleDir } from "../../builder/index.js";
import type { BindMount } from "../../container/index.js";
import { hostPlatform, sha256OfFile } from "../../oci/index.js";

/** Where the native lifecycle is mounted in the build container. */
export const NATIVE_LIFECYCLE_DIR = "/cnb/.cnbkit-native-lifecycle";

/** The builder's own lifecycle directory. */
export const BUILDER_LIFECYCLE_DIR = "/cnb/lifecycle";

/** Where a build's lifecycle phases are run from. */
export interface LifecycleBinaries {
  /** The directory whose `creator`, `analyzer`, … are run. */
  dir: string;
  /** What to mount for it (none for the builder's own). */
  mounts: BindMount[];
}

/** The builder's own lifecycle, as every native build runs it. */
export const BUILDER_LIFECYCLE: LifecycleBinaries = { dir: BUILDER_LIFECYCLE_DIR, mounts: [] };

/**
 * This machine's build of the builder's lifecycle (see the file's doc), or why there is none
 * to use, in words for one log line.
 *
 * @example
 * const native = await nativeLifecycle(view.path, "arm64");
 * if (native.ok) say(native.line);
 */
export async function nativeLifecycle(
  rootfs: string,
  targetArch: string,
  env: Record<string, string | undefined> = process.env,
): Promise<{ ok: true; binaries: LifecycleBinaries; line: string } | { ok: false; reason: string }> {
  const builderDir = join(rootfs, BUILDER_LIFECYCLE_DIR);
  const version = await lifecycleVersion(builderDir);
  if (!version) return { ok: false, reason: "the builder's lifecycle.toml names no version" };
  const target = cachedLifecycleDir(version, targetArch, env);
  const host = cachedLifecycleDir(version, hostPlatform().architecture, env);
  const [targetKey, hostKey] = await Promise.all([patchesKey(target), patchesKey(host)]);
  if (!targetKey || !hostKey || !(await isFile(join(host, "lifecycle")))) {
    return { ok: false, reason: `cnbkit has no build of lifecycle ${version} for both arches` };
  }
  if (targetKey !== hostKey) {
    return { ok: false, reason: `cnbkit's lifecycle ${version} builds differ in their patches` };
  }
  const [given, ours] = await Promise.all([
    sha256OfFile(join(builderDir, "lifecycle")).catch(() => undefined),
    sha256OfFile(join(target, "lifecycle")),
  ]);
  if (given !== ours) return { ok: false, reason: `the builder's lifecycle ${version} is not cnbkit's build of it` };
  return {
    ok: true,
    binaries: {
      dir: NATIVE_LIFECYCLE_DIR,
      mounts: [{ source: host, destination: NATIVE_LIFECYCLE_DIR, readonly: true }],
    },
    line: `Running lifecycle ${version} natively (this machine's build of the builder's); the buildpacks run under qemu`,
  };
}

/** A phase binary's path in `binaries` for one in the builder's `/cnb/lifecycle`. */
export function phaseBinary(binaries: LifecycleBinaries, path: string): string {
  return path.startsWith(`${BUILDER_LIFECYCLE_DIR}/`)
    ? `${binaries.dir}${path.slice(BUILDER_LIFECYCLE_DIR.length)}`
    : path;
}

async function lifecycleVersion(dir: string): Promise<string | undefined> {
  const text = await readFile(join(dir, "lifecycle.toml"), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const version = (parseToml(text, join(dir, "lifecycle.toml")) as { lifecycle?: { version?: unknown } }).lifecycle
    ?.version;
  return typeof version === "string" && version !== "" ? version : undefined;
}

/** The cnbkit patches key setup.sh writes beside a lifecycle it built; none for any other. */
async function patchesKey(dir: string): Promise<string | undefined> {
  const key = await readFile(join(dir, ".cnbkit-patches"), "utf8").catch(() => undefined);
  return key?.trim() || undefined;
}
