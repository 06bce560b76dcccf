/**
 * cnbkit's image labels buildpack, at the end of every order group (optional), as in
 * Paketo's builders. Detect passes when `BP_IMAGE_LABELS` or a `BP_OCI_*` setting is
 * non-empty (declarative, so the packaged bin/detect is a sh script that never starts
 * Node); build returns the labels (see ./labels.ts), which the framework writes to
 * launch.toml's `[[labels]]` and the lifecycle's exporter puts on the app image.
 */
import { buildpack, detectRules, readSettings } from "@cnbkit/framework";
import { IMAGE_LABELS, imageLabels, SETTINGS } from "./labels.js";

export default buildpack({
  detect: detectRules({
    rules: SETTINGS.map((env) => ({ when: { env }, outcome: { pass: {} } })),
    otherwise: { fail: `neither ${IMAGE_LABELS} nor a BP_OCI_* variable is set` },
  }),
  async build(ctx) {
    const labels = imageLabels(readSettings(ctx));
    ctx.log.step("Image labels");
    for (const l of labels) ctx.log.detail(`${l.key}=${l.value}`);
    return { labels };
  },
});
