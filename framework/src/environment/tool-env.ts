/**
 * The environment a build's tools (package managers, compilers, build scripts) run with, and
 * the settings a build reads.
 *
 * Each build step returns what it adds as an {@link EnvChange} instead of writing into a
 * shared object, so a build reads as "this step put its bin dir on PATH" and a test can check
 * each step's change alone. Nothing here reaches a layer: launch env is written by the
 * framework from layer env deltas.
 */

/** A process environment, as `child_process.spawn` takes it (undefined = unset). */
export type ToolEnv = Readonly<Record<string, string | undefined>>;

/** What a step adds to the tool environment. */
export interface EnvChange {
  /** Variables to set (a later change wins). */
  set?: Readonly<Record<string, string>>;
  /** Directories to put in front of PATH, first one first. */
  path?: readonly string[];
}

/** The default PATH when the build's environment has none. */
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * `env` with `changes` applied in order; `env` itself is not modified.
 *
 * @example
 * withChanges({ PATH: "/usr/bin" }, { path: ["/layers/node/bin"], set: { NODE_HOME: "/layers/node" } })
 * // { PATH: "/layers/node/bin:/usr/bin", NODE_HOME: "/layers/node" }
 */
export function withChanges(env: ToolEnv, ...changes: readonly (EnvChange | undefined)[]): ToolEnv {
  const out: Record<string, string | undefined> = { ...env };
  for (const c of changes) {
    if (!c) continue;
    Object.assign(out, c.set);
    if (c.path && c.path.length > 0) out.PATH = [...c.path, out.PATH ?? DEFAULT_PATH].join(":");
  }
  return out;
}

/** A build's settings (BP_* variables and the rest of its env) as one read-only map. */
export type Settings = Readonly<Record<string, string | undefined>>;

/**
 * The process env merged with `<platform>/env`; the platform's value wins, as
 * `cnbkit build --env` and `pack build --env` put them there.
 *
 * @example
 * readSettings({ env: { BP_NODE_VERSION: "22" }, platform: { env: { BP_NODE_VERSION: "24" } } }).BP_NODE_VERSION // "24"
 */
export function readSettings(ctx: {
  env: Record<string, string | undefined>;
  platform: { env: Record<string, string> };
}): Settings {
  return { ...ctx.env, ...ctx.platform.env };
}
