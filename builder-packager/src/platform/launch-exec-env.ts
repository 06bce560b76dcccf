/**
 * The execution environment an app image starts in under `cnbkit run`.
 *
 * The launcher picks processes by their launch.toml `exec-env` from CNB_EXEC_ENV and takes
 * production when it is unset (Platform API 0.15). The exporter only labels the image with the
 * env it was built for (`io.buildpacks.exec-env`); nothing puts it in the image's Env. So an
 * image built with `--exec-env test` would start its production processes under a plain
 * `docker run`. The platform that runs it is the one that knows, so `cnbkit run` hands the
 * label's env to the launcher, unless the image or the user already set CNB_EXEC_ENV.
 */
import { DEFAULT_EXEC_ENV, parseExecEnv } from "./exec-env.js";

/** The label the exporter writes at Platform API 0.15: the env the image was built for. */
export const EXEC_ENV_LABEL = "io.buildpacks.exec-env";

/**
 * The CNB_EXEC_ENV `cnbkit run` adds for an image, or undefined when it adds none: the label is
 * absent or says production (the launcher's own default), or the image's Env or the caller's
 * `--env` set the variable already (theirs wins).
 *
 * @example
 * launchExecEnv({ "io.buildpacks.exec-env": "test" }, ["PATH=/usr/bin"], {}) // "test"
 * launchExecEnv({ "io.buildpacks.exec-env": "test" }, [], { CNB_EXEC_ENV: "production" }) // undefined
 */
export function launchExecEnv(
  labels: Record<string, string>,
  imageEnv: string[],
  callerEnv: Record<string, string>,
): string | undefined {
  const label = labels[EXEC_ENV_LABEL];
  if (label === undefined || label === DEFAULT_EXEC_ENV) return undefined;
  if ("CNB_EXEC_ENV" in callerEnv || imageEnv.some((e) => e.startsWith("CNB_EXEC_ENV="))) return undefined;
  return parseExecEnv(label, `the image's ${EXEC_ENV_LABEL} label`);
}
