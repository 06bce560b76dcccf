/**
 * Step: the nginx configuration and the launcher that runs it, in the launch layer
 * `web_config` (made fresh each build: it holds the app's absolute root). The app's own
 * nginx.conf is used when it has one, with the paths nginx would write as root moved to
 * writable ones (launch-script.ts); else one is generated (nginx-conf.ts).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Layer, StepContext } from "@cnbkit/framework";
import type { Process } from "@cnbkit/framework/cnb-files";
import { launcherScript, userConfFixes } from "../launch-script.js";
import { nginxConf } from "../nginx-conf.js";
import type { WebSettings } from "../settings.js";
import type { Nginx } from "./install-nginx.js";
import type { Served } from "./choose-root.js";

/** The configuration written. */
export interface WebConfig {
  layer: Layer;
  /** The template (placeholders not yet filled). */
  template: string;
  /** "nginx.conf" for the app's own, else "generated". */
  source: "nginx.conf" | "generated";
  process: Process;
}

/** Writes the template and launcher; returns the `web` process. */
export async function writeConfig(
  ctx: StepContext<"app" | "layers" | "log">,
  settings: WebSettings,
  nginx: Nginx,
  served: Served,
): Promise<WebConfig> {
  const own = existsSync(join(ctx.app.path, "nginx.conf"));
  // Made first: a base path's link lives in it, and the generated config names it.
  const layer = await ctx.layers.fresh("web_config", { types: { launch: true } });
  const layerPath = layer.path;
  let template: string;
  ctx.log.step("Configuration");
  if (own) {
    template = userConfFixes(await ctx.app.readText("nginx.conf"));
    ctx.log.detail("The app's nginx.conf, with ${PORT} and other env filled in at launch");
    if (settings.pushState !== undefined || settings.forceHttps) {
      ctx.log.warn(
        "BP_WEB_SERVER_ENABLE_PUSH_STATE and BP_WEB_SERVER_FORCE_HTTPS are not applied to the app's own nginx.conf",
      );
    }
  } else {
    const notFoundPage = existsSync(join(served.path, "404.html")) ? "/404.html" : undefined;
    template = nginxConf({
      root: served.base ? join(layerPath, "site") : served.path,
      base: served.base?.path,
      pushState: served.pushState,
      fallbackPage: served.fallbackPage,
      forceHttps: settings.forceHttps,
      notFoundPage,
    });
    ctx.log.detail(
      `Generated: gzip, cache headers, /cnbkit/health${settings.forceHttps ? ", https redirect (X-Forwarded-Proto)" : ""}${notFoundPage ? ", 404.html" : ""}`,
    );
  }
  const { writeFile, mkdir, chmod, symlink } = await import("node:fs/promises");
  if (served.base && !own) {
    // The root is a directory whose only entry, at the base path, links to the site.
    const link = join(layer.path, "site", served.base.path);
    await mkdir(join(link, ".."), { recursive: true });
    await symlink(served.path, link);
  }
  await mkdir(join(layer.path, "bin"), { recursive: true });
  await writeFile(join(layer.path, "nginx.conf.template"), template);
  const launcher = join(layer.path, "bin", "start-nginx");
  await writeFile(launcher, launcherScript({ template, nginxHome: nginx.home }));
  await chmod(launcher, 0o755);
  return {
    layer,
    template,
    source: own ? "nginx.conf" : "generated",
    process: { type: "web", command: [launcher], default: true },
  };
}
