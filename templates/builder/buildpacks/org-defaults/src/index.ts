/**
 * {{org}}/org-defaults: turns build configuration into the app image's defaults, so that a
 * platform team sets them once (in builder.toml `[[build.env]]`) for every app.
 *
 * - `BP_ORG_ENV_<NAME>=value` → `NAME=value` in the launched app's environment (a default:
 *   the app's own runtime env still wins).
 * - `BP_ORG_LABEL_<KEY>=value` → image label `<key>`: lower case, `_` becomes `.`
 *   (`BP_ORG_LABEL_ORG_OPENCONTAINERS_IMAGE_VENDOR` → `org.opencontainers.image.vendor`).
 *
 * Detect always passes, with an empty plan. Values are never logged: they may be private.
 */
import { buildpack, CnbError, type Environment } from "@cnbkit/framework";

const ENV_PREFIX = "BP_ORG_ENV_";
const LABEL_PREFIX = "BP_ORG_LABEL_";

/** The `BP_ORG_ENV_*` settings as the app's env: name → value, sorted by name. */
export function orgEnv(env: Environment): [string, string][] {
  return settings(env, ENV_PREFIX).map(([suffix, value]) => [suffix, value]);
}

/** The `BP_ORG_LABEL_*` settings as image labels: key → value, sorted by key. */
export function orgLabels(env: Environment): [string, string][] {
  return settings(env, LABEL_PREFIX).map(([suffix, value]) => [suffix.toLowerCase().replace(/_/g, "."), value]);
}

function settings(env: Environment, prefix: string): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined) continue;
    const suffix = name.slice(prefix.length);
    if (suffix === "" || suffix.startsWith("_")) {
      throw new CnbError(`${name}: expected ${prefix}<NAME>, e.g. ${prefix}TZ`);
    }
    out.push([suffix, value]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export default buildpack({
  detect: (ctx) => ctx.pass(),

  async build(ctx) {
    const env = orgEnv(ctx.env);
    const labels = orgLabels(ctx.env);
    if (env.length > 0) {
      const layer = await ctx.layers.fresh("org-env", { types: { launch: true } });
      for (const [name, value] of env) layer.env.launch.default(name, value);
      ctx.log.step(`App environment: ${env.map(([name]) => name).join(", ")}`);
    }
    if (labels.length > 0) ctx.log.step(`Image labels: ${labels.map(([key]) => key).join(", ")}`);
    if (env.length + labels.length === 0) ctx.log.detail("No BP_ORG_ENV_* or BP_ORG_LABEL_* settings");
    return { labels: labels.map(([key, value]) => ({ key, value })) };
  },
});
