/**
 * The context detect and build both get: the {@link BaseContext} every phase gets
 * (base-context.ts) and the buildpack itself, built once per phase from the platform's
 * directories.
 *
 * On detect's hot path: each import names its file, not a folder's index (detect.ts says why).
 */
import { join } from "node:path";
import { type BuildpackDescriptor, checkMetadata, readBuildpackToml } from "../cnb-files/buildpack-toml.js";
import { baseContext } from "./base-context.js";
import type { BuildpackDefinition, PhaseContext, PhaseIO } from "./contract.js";

/** Builds the context both phases share. */
export async function phaseContext<M>(
  def: BuildpackDefinition<M>,
  io: PhaseIO,
  dirs: { app: string; buildpack: string; platform: string },
): Promise<PhaseContext<M>> {
  const raw = await readBuildpackToml(dirs.buildpack);
  const descriptor: BuildpackDescriptor<M> = {
    ...raw,
    metadata: checkMetadata(raw.metadata, join(dirs.buildpack, "buildpack.toml"), def.metadata),
  };
  return {
    ...(await baseContext(io, dirs)),
    buildpack: {
      dir: dirs.buildpack,
      descriptor,
      id: descriptor.buildpack.id,
      version: descriptor.buildpack.version,
      metadata: descriptor.metadata,
      rawMetadata: raw.metadata,
    },
  };
}
