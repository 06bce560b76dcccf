/**
 * Cleans up after cnbkit processes that died without their `finally` blocks (SIGKILL, OOM,
 * a power cut): runc containers still running under their state root, overlay mounts of
 * rootfs views, per-build temp dirs, and a build's overlay and upper dir in a build cache's
 * layer store (platform/app-build/layer-store/). Every such dir carries its owner's pid in its name
 * (`<prefix><pid>-<random>`), so only leftovers of dead processes are touched.
 */
import { spawnSync } from "node:child_process";
import { readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProcessAlive } from "./pid.js";

/** The temp-dir name prefixes this module sweeps; the owner's pid follows the prefix. */
export const STALE_PREFIXES = {
  runc: "cnbkit-runc-",
  view: "cnbkit-view-",
  bundle: "cnbkit-bundle-",
  build: "build-",
  layers: "cnbkit-layers-",
};

/** A temp-dir prefix naming this process, for `mkdtemp`. */
export function ownedPrefix(prefix: string): string {
  return `${prefix}${process.pid}-`;
}

function ownerOf(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const pid = Number(name.slice(prefix.length).split("-")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function mountPointsUnder(dir: string): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  return text
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Removes the dirs named `<prefix><pid>-*` in `root` whose owner is dead, each after
 * unmounting what is mounted in it (`before` runs first: a runc state root's containers).
 * Returns how many were removed.
 *
 * @example
 * await sweepStaleIn(layerStoreDir, STALE_PREFIXES.layers); // a crashed build's overlay and upper dir
 */
export async function sweepStaleIn(
  root: string,
  prefix: string,
  before?: (dir: string) => Promise<void>,
): Promise<number> {
  let removed = 0;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = ownerOf(name, prefix);
    if (pid === undefined || pid === process.pid || isProcessAlive(pid)) continue;
    const dir = join(root, name);
    await before?.(dir);
    for (const m of await mountPointsUnder(dir)) spawnSync("umount", ["-l", m], { stdio: "ignore" });
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    removed++;
  }
  return removed;
}

/**
 * Removes leftovers of dead cnbkit processes: kills and deletes their containers, unmounts
 * their views and deletes their temp dirs under `os.tmpdir()` and `buildTmp`. Returns how
 * many dirs were removed. Cheap when there is nothing to do.
 */
export async function sweepStale(buildTmp?: string): Promise<number> {
  let removed = 0;
  const sweep = async (root: string, prefix: string, before?: (dir: string) => Promise<void>) => {
    removed += await sweepStaleIn(root, prefix, before);
  };
  const tmp = tmpdir();
  await sweep(tmp, STALE_PREFIXES.runc, async (stateRoot) => {
    const list = spawnSync("runc", ["--root", stateRoot, "list", "-q"], { encoding: "utf8" });
    for (const id of (list.stdout ?? "").split("\n").filter(Boolean)) {
      spawnSync("runc", ["--root", stateRoot, "kill", id, "KILL"], { stdio: "ignore" });
      spawnSync("runc", ["--root", stateRoot, "delete", "-f", id], { stdio: "ignore" });
    }
  });
  await sweep(tmp, STALE_PREFIXES.view);
  await sweep(tmp, STALE_PREFIXES.bundle);
  if (buildTmp) await sweep(buildTmp, STALE_PREFIXES.build);
  return removed;
}
