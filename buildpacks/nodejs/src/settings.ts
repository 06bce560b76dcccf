/**
 * The build's settings: BP_* variables and NODE_ENV, from the process env and
 * `<platform>/env` (the platform's value wins, as `cnbkit build --env` and `pack build --env`
 * put them there).
 */

/** Settings as one read-only map. */
export type Settings = Readonly<Record<string, string | undefined>>;

/**
 * Merges the process env with the platform env.
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
