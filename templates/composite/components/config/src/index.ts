/**
 * {{id}}-config: sets APP_ENV for the build and the app from BP_APP_ENV (default
 * "production"). It always passes detect, with an empty plan.
 */
import { buildpack } from "@cnbkit/framework";

export default buildpack({
  detect: (ctx) => ctx.pass(),
  async build(ctx) {
    const appEnv = ctx.env.BP_APP_ENV || "production";
    ctx.log.step(`APP_ENV=${appEnv}${ctx.env.BP_APP_ENV ? " (BP_APP_ENV)" : " (default)"}`);
    const layer = await ctx.layers.fresh("config", { types: { build: true, launch: true } });
    layer.env.default("APP_ENV", appEnv);
    return {};
  },
});
