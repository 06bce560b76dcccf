/**
 * Step: nginx from the inventory, in a layer for launch (the server) and build (the config
 * check runs it). The inventory names Debian's own .debs (buildpack.toml says why): the
 * framework extracts the `nginx` package's data tar into the layer (usr/ stripped, so
 * `sbin/nginx`), and `etc/nginx/mime.types` is taken from `nginx-common`, unpacked beside it
 * and dropped. Both downloads are checked against the inventory's sha256 before anything
 * lands. Made from a file:// dependency in an offline builder, the layer is installed again
 * rather than cached: ~1.5 MB, quicker to unpack than a cache restore is to hash.
 */
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Layer, ResolvedDependency, StepContext } from "@cnbkit/framework";
import type { WebMetadata } from "../metadata.js";
import type { WebSettings } from "../settings.js";

/** The installed nginx. */
export interface Nginx {
  layer: Layer;
  version: string;
  /** `<layer>`: sbin/nginx, conf/mime.types, lib/ (empty: the run images carry what it links). */
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
  // The same upstream version: Debian builds both from one source, at one version.
  const common = ctx.dependencies.resolve("nginx-common", dep.version);
  ctx.log.detail(`${settings.nginxVersion ? "BP_NGINX_VERSION" : "default"} ${range}: nginx ${dep.version}`);
  const layer = await ctx.dependencies.layer("nginx", dep, {
    types: { build: true, launch: true },
    strip: dep.stripComponents ?? 1,
    // Manual pages; the copyright stays (share/doc/nginx).
    exclude: ["share/man"],
    key: { mimeTypes: common.sha256 },
    afterInstall: (l) => addMimeTypes(ctx, common, l.path),
  });
  return { layer, version: dep.version, home: layer.path };
}

/** `<home>/conf/mime.types` from the nginx-common package, and the empty `lib/` the launcher names. */
async function addMimeTypes(ctx: StepContext<"dependencies">, common: ResolvedDependency, home: string): Promise<void> {
  const tmp = await mkdtemp(join(home, ".nginx-common-"));
  try {
    await ctx.dependencies.install(common, tmp, { strip: common.stripComponents ?? 0 });
    await mkdir(join(home, "conf"), { recursive: true });
    await mkdir(join(home, "lib"), { recursive: true });
    await rename(join(tmp, "etc", "nginx", "mime.types"), join(home, "conf", "mime.types"));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
