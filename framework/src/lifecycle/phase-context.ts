/**
 * The context detect and build both get (app files, buildpack descriptor, platform input,
 * target, exec env, logger), built once per phase from the platform's directories.
 *
 * On detect's hot path: each import names its file, not a folder's index (detect.ts says why).
 */
import { join } from "node:path";
import { type BuildpackDescriptor, checkMetadata, readBuildpackToml } from "../cnb-files/buildpack-toml.js";
import { createLogger } from "../log/logger.js";
import { Bindings } from "../platform/bindings.js";
import { readExecEnv, readPlatformEnv, readTarget } from "../platform/platform.js";
import { AppFiles } from "./app-files.js";
import type { BuildpackDefinition, PhaseContext, PhaseIO } from "./contract.js";

/** Builds the context both phases share. */
export async function phaseContext<M>(
  def: BuildpackDefinition<M>,
  io: PhaseIO,
  dirs: { app: string; buildpack: string; platform: string },
): Promise<PhaseContext<M>> {
  const log = createLogger({ env: io.env, ...(io.sink ? { sink: io.sink, color: false } : {}) });
  const raw = await readBuildpackToml(dirs.buildpack);
  const descriptor: BuildpackDescriptor<M> = {
    ...raw,
    metadata: checkMetadata(raw.metadata, join(dirs.buildpack, "buildpack.toml"), def.metadata),
  };
  return {
    app: new AppFiles(dirs.app),
    buildpack: {
      dir: dirs.buildpack,
      descriptor,
      id: descriptor.buildpack.id,
      version: descriptor.buildpack.version,
      metadata: descriptor.metadata,
      rawMetadata: raw.metadata,
    },
    platform: {
      dir: dirs.platform,
      env: await readPlatformEnv(dirs.platform),
      bindings: await Bindings.load(io.env, dirs.platform),
    },
    target: readTarget(io.env),
    execEnv: readExecEnv(io.env),
    env: io.env,
    log,
  };
}
