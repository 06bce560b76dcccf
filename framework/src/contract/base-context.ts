/**
 * The one builder of the context every phase gets ({@link BaseContext}): a buildpack's
 * detect and build (phase-context.ts adds `buildpack`) and an extension's detect and
 * generate (extension-phases.ts adds `extension`) read the platform's inputs the same way.
 *
 * On detect's hot path: each import names its file, not a folder's index (detect.ts says why).
 */
import { createLogger } from "../log/logger.js";
import { Bindings } from "../environment/bindings.js";
import { readExecEnv, readPlatformEnv, readTarget } from "../environment/platform.js";
import { AppFiles } from "./app-files.js";
import type { BaseContext, PhaseIO } from "./contract.js";

/** Builds the context every phase shares from the app and platform directories and the phase's IO. */
export async function baseContext(io: PhaseIO, dirs: { app: string; platform: string }): Promise<BaseContext> {
  return {
    app: new AppFiles(dirs.app),
    platform: {
      dir: dirs.platform,
      env: await readPlatformEnv(dirs.platform),
      bindings: await Bindings.load(io.env, dirs.platform),
    },
    target: readTarget(io.env),
    execEnv: readExecEnv(io.env),
    env: io.env,
    log: createLogger({ env: io.env, ...(io.sink ? { sink: io.sink, color: false } : {}) }),
  };
}
