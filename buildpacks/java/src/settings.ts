/**
 * The build's settings: BP_* variables from the process env and
 * `<platform>/env` (the platform's value wins, as `cnbkit build --env` and `pack build --env`
 * put them there).
 */

/** Settings as one read-only map. */
export type Settings = Readonly<Record<string, string | undefined>>;

/**
 * Merges the process env with the platform env.
 *
 * @example
 * readSettings({ env: { BP_JVM_VERSION: "17" }, platform: { env: { BP_JVM_VERSION: "21" } } }).BP_JVM_VERSION // "21"
 */
export function readSettings(ctx: {
  env: Record<string, string | undefined>;
  platform: { env: Record<string, string> };
}): Settings {
  return { ...ctx.env, ...ctx.platform.env };
}
