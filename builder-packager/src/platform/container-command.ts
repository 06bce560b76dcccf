/**
 * What an app container runs: a process type through its launcher link, or the image's
 * Entrypoint + Cmd. An image whose build set no default process has the bare launcher as its
 * Entrypoint, which then fails with "when there is no default process a command is required"
 * (exit 82): that is caught here, before the container starts, with what to do instead.
 */
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { type BuildMetadata, LABELS } from "./app-image.js";

/** The lifecycle's launcher, the Entrypoint of an image with no default process. */
const LAUNCHER = "/cnb/lifecycle/launcher";

/** The container's argv for `image` unpacked at `rootfs` with config `cfg`. */
export async function containerCommand(
  opts: { image: string; process?: string; args?: string[] },
  rootfs: string,
  cfg: { Entrypoint?: string[]; Cmd?: string[]; Labels?: Record<string, string> },
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
          : startHint(builtBy(cfg.Labels ?? {})),
    });
  }
  return args;
}

/**
 * How each buildpack that can set a default process is told what to start. Keyed by buildpack
 * id, so an image built by cnbkit/nodejs is not sent to a Python setting.
 */
const START_SETTINGS: Readonly<Record<string, string>> = {
  "cnbkit/nodejs": 'add a "start" script to package.json',
  "cnbkit/python": "set BP_PYTHON_ENTRYPOINT",
  "cnbkit/java": "build an executable jar (Main-Class in its manifest)",
};

/**
 * What to do about an image with no default process, naming the settings of the buildpacks
 * that built it (`buildpacks`, in build order); a Procfile works with every builder that has
 * a Procfile buildpack, so it is always offered.
 *
 * @example
 * startHint(["cnbkit/nodejs"])
 * // 'Add a "start" script to package.json (cnbkit/nodejs), or add a Procfile with a web: line, and build again.'
 */
export function startHint(buildpacks: readonly string[]): string {
  const ways = buildpacks.flatMap((id) => (START_SETTINGS[id] ? [`${START_SETTINGS[id]} (${id})`] : []));
  if (ways.length === 0) return "Add a Procfile with a web: line and build again.";
  const first = ways.join(", or ");
  return `${first.charAt(0).toUpperCase()}${first.slice(1)}, or add a Procfile with a web: line, and build again.`;
}

/**
 * The ids of the buildpacks that built the image, from its `io.buildpacks.build.metadata`
 * label. Only a hint hangs on it, so a missing or broken label means "unknown", not an error.
 */
function builtBy(labels: Record<string, string>): string[] {
  try {
    const meta = JSON.parse(labels[LABELS.build] ?? "{}") as BuildMetadata;
    return (meta.buildpacks ?? []).map((b) => b.id).filter((id): id is string => typeof id === "string");
  } catch {
    return [];
  }
}

/** The image's process types: the links under /cnb/process. */
async function processTypes(rootfs: string): Promise<string[]> {
  return (await readdir(join(rootfs, "cnb/process")).catch(() => [] as string[])).sort();
}
