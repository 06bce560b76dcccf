/**
 * cnbkit's environment variables buildpack, at the end of every order group (optional), as
 * in Paketo's builders. Detect passes when some `BPE_*` setting is non-empty (declarative, so
 * the packaged bin/detect is a sh script that never starts Node); build writes the launch
 * environment they ask for (see ./variables.ts) into one launch layer, so the running app
 * sees it and later `cnbkit rebase`s keep it.
 */
import { buildpack, detectRules, readSettings } from "@cnbkit/framework";
import { launchOperations, PREFIX } from "./variables.js";

export default buildpack({
  detect: detectRules({
    rules: [{ when: { envPrefix: PREFIX }, outcome: { pass: {} } }],
    otherwise: { fail: `no ${PREFIX}* variable is set` },
  }),
  async build(ctx) {
    const { operations, warnings } = launchOperations(readSettings(ctx));
    for (const w of warnings) ctx.log.warn(w);
    ctx.log.step("Launch environment");
    await ctx.layers.fresh("environment-variables", {
      types: { launch: true },
      async fill(layer) {
        for (const o of operations) {
          const scope = layer.env.launch;
          if (o.op === "append") scope.append(o.name, o.value, o.delim);
          else if (o.op === "prepend") scope.prepend(o.name, o.value, o.delim);
          else scope[o.op](o.name, o.value);
          // Names only: a value may be a secret, and the build log is often kept.
          const delim = o.delim === undefined ? "" : `, delimiter ${JSON.stringify(o.delim)}`;
          ctx.log.detail(`${o.name}: ${o.op}${delim} (${o.from})`);
        }
      },
    });
    return {};
  },
});
