/**
 * Step: nginx from the inventory, in a layer for launch (the server) and build (the config
 * check runs it). Made from a file:// dependency in an offline builder, it is installed again
 * rather than cached: ~1.5 MB, quicker to unpack than a cache restore is to hash.
 */
import type { Layer, StepContext } from "@cnbkit/framework";
import type { WebMetadata } from "../metadata.js";
import type { WebSettings } from "../settings.js";

/** The installed nginx. */
export interface Nginx {
  layer: Layer;
  version: string;
  /** `<layer>`: sbin/nginx, conf/mime.types, lib/. */
  home: string;
}

/** Resolves BP_NGINX_VERSION (else the default range) and installs it. */
export async function installNginx(
  ctx: StepContext<"buildpack" | "dependencies" | "log", WebMetadata>,
  settings: WebSettings,
): Promise<Nginx> {
  ctx.log.step("nginx");
  const range = settings.nginxVersion ?? ctx.buildpack.metadata.defaultNginx;
  const dep = ctx.dependencies.resolve("nginx", range);
  ctx.log.detail(`${settings.nginxVersion ? "BP_NGINX_VERSION" : "default"} ${range}: nginx ${dep.version}`);
  const layer = await ctx.dependencies.layer("nginx", dep, {
    types: { build: true, launch: true },
    strip: dep.stripComponents ?? 1,
  });
  return { layer, version: dep.version, home: layer.path };
}
