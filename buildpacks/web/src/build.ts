/**
 * The build, as its steps: read the settings, install nginx, choose the root the site is
 * served from (after cnbkit/nodejs's build wrote it, when it ran), write the configuration
 * and its launcher, and check it with `nginx -t`.
 */
import { type BuildContext, type BuildResult, readSettings } from "@cnbkit/framework";
import type { WebMetadata } from "./metadata.js";
import { webSettings } from "./settings.js";
import { checkConfig } from "./steps/check-config.js";
import { chooseServed } from "./steps/choose-root.js";
import { installNginx } from "./steps/install-nginx.js";
import { writeConfig } from "./steps/write-config.js";

/** Builds the web server image. */
export async function build(ctx: BuildContext<WebMetadata>): Promise<BuildResult> {
  const env = readSettings(ctx);
  const settings = webSettings(env);
  const served = await chooseServed(ctx, settings);
  const nginx = await installNginx(ctx, settings);
  const config = await writeConfig(ctx, settings, nginx, served);
  await checkConfig(ctx, nginx, config, env);
  ctx.log.step("Process types");
  ctx.log.detail(`web: nginx on $PORT (default 8080) (default)`);
  return { processes: [config.process] };
}
