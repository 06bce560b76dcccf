/**
 * What an app container runs: a process type through its launcher link, or the image's
 * Entrypoint + Cmd. An image whose build set no default process has the bare launcher as its
 * Entrypoint, which then fails with "when there is no default process a command is required"
 * (exit 82): that is caught here, before the container starts, with what to do instead.
 */
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";

/** The lifecycle's launcher, the Entrypoint of an image with no default process. */
const LAUNCHER = "/cnb/lifecycle/launcher";

/** The container's argv for `image` unpacked at `rootfs` with config `cfg`. */
export async function containerCommand(
  opts: { image: string; process?: string; args?: string[] },
  rootfs: string,
  cfg: { Entrypoint?: string[]; Cmd?: string[] },
): Promise<string[]> {
  if (opts.process) {
    if (!/^[A-Za-z0-9_.-]+$/.test(opts.process)) throw new CnbError(`process type "${opts.process}" is not valid`);
    // lstat: the entry is a symlink to /cnb/lifecycle/launcher, absolute inside the image.
    const exists = await lstat(join(rootfs, "cnb/process", opts.process)).catch(() => undefined);
    if (exists === undefined) {
      const types = await processTypes(rootfs);
      throw new CnbError(`image ${opts.image} has no process type "${opts.process}"`, {
        hint: types.length > 0 ? `Its process types: ${types.join(", ")}.` : "It has no process types.",
      });
    }
    return [`/cnb/process/${opts.process}`, ...(opts.args ?? [])];
  }
  const entrypoint = cfg.Entrypoint ?? [];
  const args = [...entrypoint, ...(opts.args ?? cfg.Cmd ?? [])];
  if (args.length === 0) throw new CnbError(`image ${opts.image} has no Entrypoint or Cmd to run`);
  if (args.length === 1 && args[0] === LAUNCHER) {
    const types = await processTypes(rootfs);
    throw new CnbError(`image ${opts.image} has no default process: its build found no start command`, {
      hint:
        types.length > 0
          ? `Pick one of its process types with --process (${types.join(", ")}).`
          : "Add a Procfile with a web: line (or set the buildpack's entrypoint, such as BP_PYTHON_ENTRYPOINT) and build again.",
    });
  }
  return args;
}

/** The image's process types: the links under /cnb/process. */
async function processTypes(rootfs: string): Promise<string[]> {
  return (await readdir(join(rootfs, "cnb/process")).catch(() => [] as string[])).sort();
}
