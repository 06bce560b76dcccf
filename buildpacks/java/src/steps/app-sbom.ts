/**
 * Step: the SBOM of the app's libraries. Every jar in the exploded app (BOOT-INF/lib, lib/,
 * WEB-INF/lib, ...) is a component of launch.sbom.* (the app dir is no layer of ours), in
 * CycloneDX and SPDX; the components come from the app scan (app-scan.ts).
 */
import type { SbomComponent } from "@cnbkit/framework";
import type { StepContext } from "./step-context.js";

/** Adds the libraries to the launch SBOM and says how many have Maven coordinates. */
export function appSbom(ctx: StepContext<"log" | "sbom">, libraries: readonly SbomComponent[]): void {
  ctx.sbom.launch.add(...libraries);
  const maven = libraries.filter((c) => c.purl).length;
  if (libraries.length > 0) ctx.log.detail(`SBOM: ${libraries.length} libraries (${maven} with Maven coordinates)`);
}
