/**
 * The build's settings: BP_* variables and the rest of the build env, from the process env
 * and `<platform>/env` (the platform's value wins, as `cnbkit build --env` and `pack build
 * --env` put them there).
 */

/** Settings as one read-only map. */
export type Settings = Readonly<Record<string, string | undefined>>;

/** Merges the process env with the platform env. */
export function readSettings(ctx: {
  env: Record<string, string | undefined>;
  platform: { env: Record<string, string> };
}): Settings {
  return { ...ctx.env, ...ctx.platform.env };
}

/** True for "true", "1" and "yes" (any case). */
export function isTrue(value: string | undefined): boolean {
  return /^(true|1|yes)$/i.test(value?.trim() ?? "");
}
