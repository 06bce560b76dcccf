/**
 * The build's writable view of the builder's root filesystem with /workspace and /layers
 * already in it, made in the overlay's upper dir before the overlay is mounted.
 *
 * Files made through a mounted overlayfs cost the kernel several times what they cost on the
 * filesystem under it (each create and chown looks its path up through overlayfs): copying
 * Caddy's 740 source files into a mounted view took 0.4-1.0 s of CPU on the shared 2-core
 * machine, `cp -a` of the same files into a plain directory 0.1 s. A build copies its app on
 * every run, so the copy goes into the upper dir first, and the mount shows it as /workspace.
 *
 * The fresh /workspace and /layers must hide whatever the builder image has there, as the copy
 * into a mounted view does by deleting them first; an upper dir over a lower one merges the
 * two, so this path is taken only when the builder's are empty or absent (as every builder
 * cnbkit or pack makes has them). Otherwise, or when overlayfs is refused, the view is
 * container/'s own {@link openRootfsView} and the caller copies into it as before.
 */
import { chmod, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { mountOverlay, openRootfsView, type RootfsView, unmountOverlay } from "../../container/index.js";

/** The view, and whether /workspace and /layers are already filled in it. */
export interface BuildView {
  view: RootfsView;
  seeded: boolean;
}

/**
 * Opens the build's view of `rootfs` in a temp dir under `parent` (the build's work dir), with
 * `seed` run on the upper dir before the mount (it makes `workspace/` and `layers/` there).
 * When this path is not taken, `seeded` is false and `seed` has not run.
 *
 * @example
 * const { view, seeded } = await openBuildView(rootfs, work, debug, (root) => fillWorkspace(root, ...));
 */
export async function openBuildView(
  rootfs: string,
  parent: string,
  debug: (line: string) => void,
  seed: (root: string) => Promise<void>,
): Promise<BuildView> {
  const own = async () => ({ view: await openRootfsView(rootfs, debug, parent), seeded: false });
  if (!(await emptyOrAbsent(join(rootfs, "workspace"))) || !(await emptyOrAbsent(join(rootfs, "layers")))) {
    debug("the builder has files in /workspace or /layers: the app is copied into the mounted view");
    return own();
  }
  const base = await mkdtemp(join(parent, "build-view-"));
  await chmod(base, 0o755);
  const dirs = { lower: rootfs, upper: join(base, "upper"), work: join(base, "work"), merged: join(base, "merged") };
  try {
    await Promise.all([mkdir(dirs.upper), mkdir(dirs.work), mkdir(dirs.merged)]);
    await seed(dirs.upper);
  } catch (err) {
    await rm(base, { recursive: true, force: true });
    throw err;
  }
  if (!mountOverlay(dirs).ok) {
    await rm(base, { recursive: true, force: true });
    return own(); // its own debug line says why overlayfs was refused
  }
  debug(`rootfs view: overlayfs over ${rootfs}, /workspace and /layers made in its upper dir before the mount`);
  let released = false;
  const view: RootfsView = {
    path: dirs.merged,
    kind: "overlay",
    async release() {
      if (released) return;
      released = true;
      unmountOverlay(dirs.merged);
      await rm(base, { recursive: true, force: true });
    },
  };
  return { view, seeded: true };
}

async function emptyOrAbsent(dir: string): Promise<boolean> {
  return readdir(dir).then(
    (names) => names.length === 0,
    (err: NodeJS.ErrnoException) => err.code === "ENOENT",
  );
}
