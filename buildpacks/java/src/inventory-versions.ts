/**
 * The versions an inventory entry id has for the build's platform: what a choice among them
 * (the Java line, the Tomcat line) picks from, and what an error lists when none fits.
 */
import type { BuildContext } from "@cnbkit/framework";

/** The versions the inventory has of `id` for this build's platform. */
export function inventoryVersions<M>(ctx: Pick<BuildContext<M>, "dependencies" | "target">, id: string): string[] {
  const { os, arch } = ctx.target;
  return ctx.dependencies.all
    .filter((d) => d.id === id && (d.os ?? os) === os && (d.arch ?? arch) === arch)
    .map((d) => d.version);
}
