/**
 * Wheels installed with no installer run. A wheel is a zip whose root is what goes into
 * site-packages, so a verified pure-Python wheel unpacked there is installed (pip's own,
 * setuptools): `python -m pip` runs it with no entry-point scripts, and no pip has to start
 * (pip installing itself took ~2.5 s of a ~6.5 s cold build).
 *
 * A wheel a step will need can be unpacked ahead ({@link Wheels.prefetch}): uv's (17 MB, a
 * 38 MB binary inside) took 0.44 s after CPython's 0.42 s install on a cold build; on two cores
 * the two now unpack side by side.
 */
import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { StepContext, Dependency } from "@cnbkit/framework";
import { holdLines } from "@cnbkit/framework/log";
import { extract } from "@cnbkit/framework/dependencies";

/** A venv's site-packages on CPython `minor` ("3.11"). */
export function sitePackages(venv: string, minor: string): string {
  return join(venv, "lib", `python${minor}`, "site-packages");
}

/** The build's verified wheels: unpacked when a step asks, or ahead of it. */
export interface Wheels {
  /**
   * Starts unpacking `dep`'s wheel now, beside other work, into a staging dir in the layers
   * dir; its log lines are held until {@link Wheels.unpack} takes it.
   */
  prefetch(dep: Dependency): void;
  /** Unpacks `dep`'s verified wheel into `into` (a prefetched one is moved there). */
  unpack(dep: Dependency, into: string): Promise<void>;
  /** Removes what was prefetched and not taken (a failed build); waits for it to settle first. */
  discard(): Promise<void>;
}

/** What the wheels of a build need of its context. */
type WheelContext = StepContext<"dependencies" | "layers" | "log">;

/** A wheel being unpacked ahead: its staging dir, the unpack, and its held log lines. */
interface Staged {
  dir: string;
  unpacked: Promise<string>;
  release(): void;
}

/**
 * The {@link Wheels} of a build. Scratch and staging dirs are made in the buildpack's layers
 * dir, on the file system of the layers the wheels go into, so moving one in is a rename.
 */
export function buildWheels(ctx: WheelContext): Wheels {
  const staged = new Map<string, Staged>();
  const scratch = () => mkdtemp(join(ctx.layers.path, ".wheel-"));
  /** Downloads (verified) and unpacks into `into`, with the download in a scratch dir. */
  const fetchAndUnpack = async (dep: Dependency, into: string, log = ctx.log) => {
    const tmp = await scratch();
    try {
      const wheel = await ctx.dependencies.download(dep, tmp, { log });
      await extract(wheel, into, { format: "zip" });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  };
  return {
    prefetch(dep) {
      if (staged.has(dep.sha256)) return;
      const held = holdLines(ctx.log);
      const dir = join(ctx.layers.path, `.wheel-${dep.id}-${dep.sha256.slice(0, 12)}`);
      const unpacked = fetchAndUnpack(dep, join(dir, "unpacked"), held.log).then(() => join(dir, "unpacked"));
      // Awaited when taken or discarded: a build that fails before then must not crash on it.
      unpacked.catch(() => {});
      staged.set(dep.sha256, { dir, unpacked, release: held.release });
    },
    async unpack(dep, into) {
      const ahead = staged.get(dep.sha256);
      if (!ahead) return fetchAndUnpack(dep, into);
      staged.delete(dep.sha256);
      ahead.release();
      try {
        await moveEntries(await ahead.unpacked, into);
      } finally {
        await rm(ahead.dir, { recursive: true, force: true });
      }
    },
    async discard() {
      const left = [...staged.values()];
      staged.clear();
      await Promise.allSettled(left.map((s) => s.unpacked));
      await Promise.all(left.map((s) => rm(s.dir, { recursive: true, force: true })));
    },
  };
}

/** Moves the entries of `from` into `into` (made if missing); `into` must not hold the same names. */
async function moveEntries(from: string, into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  for (const name of await readdir(from)) await rename(join(from, name), join(into, name));
}
