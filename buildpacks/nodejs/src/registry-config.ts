/**
 * Private registry configuration from service bindings, for the build only (Paketo's binding
 * types). The package managers are pointed at the files where the platform mounted them;
 * nothing is copied, so no token can end up in a layer, the image or the build cache.
 *
 * - `npmrc` (file `.npmrc`): `NPM_CONFIG_USERCONFIG` names it. npm, pnpm and yarn 1 read it
 *   as the user config, so the app's own `.npmrc` still wins where both set a key. npm writes
 *   no debug log file then (`logs-max=0`): the log lives in the npm cache and names the file.
 * - `yarnrc`, yarn 1 (file `.yarnrc`): `YARN_USERCONFIG` names it (yarn 1 reads it in place of
 *   `~/.yarnrc`). `YARN_DISABLE_SELF_UPDATE_CHECK` stops yarn 1 writing `lastUpdateCheck` into
 *   that file, which is the binding's.
 * - `yarnrc`, yarn 2+ (file `.yarnrc.yml`): yarn 2+ has no variable for a config file's path
 *   (`YARN_RC_FILENAME` is a file name looked up in every folder, and would hide the app's own
 *   `.yarnrc.yml`), so `HOME` points at a temporary directory outside the layers holding a link
 *   named `.yarnrc.yml` to the binding's file: it is read as the home config, below the app's.
 *   The directory is removed when the build ends ({@link RegistryConfig.dispose}).
 */
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Binding, type Bindings, CnbError } from "@cnbkit/framework";
import type { PackageManagerChoice } from "./package-manager.js";

/** The binding type whose `.npmrc` npm, pnpm and yarn 1 use during the build. */
export const NPMRC_BINDING = "npmrc";

/** The binding type whose `.yarnrc` (yarn 1) or `.yarnrc.yml` (yarn 2+) yarn uses during the build. */
export const YARNRC_BINDING = "yarnrc";

/** Prefix of the temporary home made for yarn 2+ (tests look for leftovers by it). */
export const YARN_HOME_PREFIX = "cnbkit-yarnrc-home-";

/** What the build adds to its tools' environment, and how to undo it. */
export interface RegistryConfig {
  /** Variables for the package managers' environment. Never written to a layer. */
  env: Record<string, string>;
  /** Log lines: binding names and file names, never contents or paths. */
  notes: string[];
  /** Removes the temporary home made for yarn 2+, if any. Safe to call twice. */
  dispose(): Promise<void>;
}

/**
 * Reads the `npmrc` and `yarnrc` bindings (at most one of each) for an app installed with `pm`.
 *
 * @throws CnbError when a binding lacks the file its tool reads, or there are two of a type.
 * @example
 * const reg = await registryConfig(ctx.platform.bindings, pm);
 * try { Object.assign(toolEnv, reg.env); ... } finally { await reg.dispose(); }
 */
export async function registryConfig(
  bindings: Bindings,
  pm: Pick<PackageManagerChoice, "name" | "berry">,
): Promise<RegistryConfig> {
  const env: Record<string, string> = {};
  const notes: string[] = [];
  let home: string | undefined;
  const dispose = async () => {
    if (home) await rm(home, { recursive: true, force: true });
    home = undefined;
  };

  const npmrc = bindings.one(NPMRC_BINDING);
  if (npmrc) {
    env.NPM_CONFIG_USERCONFIG = entryPath(npmrc, ".npmrc", "npm");
    // npm's debug log, kept in its cache (a cache layer), names every config file it loaded.
    env.npm_config_logs_max = "0";
    notes.push(`npm config from binding "${npmrc.name}" (.npmrc), for this build only`);
  }

  const yarnrc = bindings.one(YARNRC_BINDING);
  if (yarnrc && pm.name !== "yarn") {
    notes.push(`Ignoring binding "${yarnrc.name}" (type yarnrc): this app installs with ${pm.name}`);
  } else if (yarnrc && !pm.berry) {
    env.YARN_USERCONFIG = entryPath(yarnrc, ".yarnrc", "yarn 1");
    env.YARN_DISABLE_SELF_UPDATE_CHECK = "true";
    notes.push(`yarn config from binding "${yarnrc.name}" (.yarnrc), for this build only`);
  } else if (yarnrc) {
    const file = entryPath(yarnrc, ".yarnrc.yml", "yarn 2+");
    home = await mkdtemp(join(tmpdir(), YARN_HOME_PREFIX));
    try {
      await symlink(file, join(home, ".yarnrc.yml"));
    } catch (err) {
      await dispose();
      throw err;
    }
    env.HOME = home;
    notes.push(`yarn config from binding "${yarnrc.name}" (.yarnrc.yml, read as the home config), for this build only`);
  }
  return { env, notes, dispose };
}

/** The path of `file` in a mounted binding, or a one-line error saying what to put there. */
function entryPath(binding: Binding, file: string, tool: string): string {
  const what = `binding "${binding.name}" (type ${binding.type})`;
  if (!binding.entries.includes(file)) {
    const found = binding.entries.length > 0 ? ` (it has: ${binding.entries.join(", ")})` : "";
    throw new CnbError(`${what} has no ${file} file, which ${tool} reads${found}`, {
      hint: `Put the ${tool} config in a file named ${file} in the binding directory`,
    });
  }
  if (binding.path === "") {
    throw new CnbError(`${what} is not a directory; ${tool} needs ${file} as a file to read`);
  }
  return join(binding.path, file);
}
