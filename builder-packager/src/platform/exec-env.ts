/**
 * The execution environment of a build (`--exec-env`, Platform API 0.15) and the Platform API
 * the creator speaks, which decides whether the lifecycle hears of it at all.
 *
 * Lifecycle 0.21 reads CNB_EXEC_ENV (there is no flag) only at Platform API 0.15: the detector
 * then leaves out every buildpack whose buildpack.toml `exec-env` (Buildpack API 0.12) does
 * not name it or "*", buildpacks see it as CNB_EXEC_ENV, and the exporter labels the image
 * `io.buildpacks.exec-env`. At launch the launcher reads CNB_EXEC_ENV from the container
 * (default production) to pick processes by their launch.toml `exec-env`. A lifecycle
 * without 0.15 gets 0.14, as before, and a build asks it for production only: anything else
 * it would silently ignore, so that is one line instead. The phases runner uses the same env.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { apiAtLeast, parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";

/** The execution environment a build has unless asked otherwise (the spec's and pack's default). */
export const DEFAULT_EXEC_ENV = "production";

/**
 * The newest Platform API cnbkit speaks: the first with exec-env and /cnb/system.toml, and the
 * newest lifecycle 0.21 (the one cnbkit's builders carry) supports. The one place it is
 * written: the phases' flag set and the tests that run the lifecycle (test/support) read it here.
 */
export const LATEST_PLATFORM_API = "0.15";

/** The Platform API of a lifecycle that lacks {@link LATEST_PLATFORM_API}, or does not say what it supports. */
export const FALLBACK_PLATFORM_API = "0.14";

/** An exec env name as pack accepts it; '/' is reserved for namespaces by the RFC. */
const EXEC_ENV_NAME = /^[A-Za-z0-9.-]+$/;

/**
 * Checks an `--exec-env` value and returns it; anything but letters, digits, '.' and '-'
 * is one line naming the flag.
 *
 * @example
 * parseExecEnv("test") // "test"
 * parseExecEnv("dev/local") // throws: --exec-env "dev/local" is not an execution environment name ...
 */
export function parseExecEnv(text: string, where = "--exec-env"): string {
  if (EXEC_ENV_NAME.test(text)) return text;
  throw new CnbError(
    `${where} "${text}" is not an execution environment name (letters, digits, '.' and '-'), e.g. production, test or development`,
  );
}

/**
 * The Platform APIs the builder's lifecycle supports: its metadata label's
 * `lifecycle.apis.platform.supported`, else /cnb/lifecycle/lifecycle.toml in its root
 * filesystem (a builder given as a directory has no labels); undefined when neither says.
 */
export async function supportedPlatformApis(
  labels: Record<string, string>,
  rootfs: string,
): Promise<string[] | undefined> {
  const fromLabel = labelApis(labels["io.buildpacks.builder.metadata"]);
  if (fromLabel) return fromLabel;
  const text = await readFile(join(rootfs, "cnb/lifecycle/lifecycle.toml"), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const apis = (parseToml(text, "lifecycle.toml").apis as TomlTable | undefined)?.platform as TomlTable | undefined;
    return stringList(apis?.supported);
  } catch {
    return undefined;
  }
}

function labelApis(json: string | undefined): string[] | undefined {
  if (!json) return undefined;
  try {
    return stringList(JSON.parse(json)?.lifecycle?.apis?.platform?.supported);
  } catch {
    return undefined;
  }
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === "string") ? v : undefined;
}

/** The Platform API the creator runs at: 0.15 when the lifecycle lists it, else 0.14. */
export function creatorPlatformApi(supported: string[] | undefined): string {
  return supported?.includes(LATEST_PLATFORM_API) ? LATEST_PLATFORM_API : FALLBACK_PLATFORM_API;
}

/**
 * The lifecycle's environment for `execEnv` at `platformApi`: CNB_EXEC_ENV from 0.15 on (as
 * pack sets it), nothing before. A non-default exec env on an older API is one line: that
 * lifecycle would build for production without a word.
 *
 * @example
 * execEnvVars("test", "0.15", "oci:out/builder") // ["CNB_EXEC_ENV=test"]
 * execEnvVars("production", "0.14", "oci:old") // []
 */
export function execEnvVars(execEnv: string, platformApi: string, builder: string): string[] {
  if (apiAtLeast(platformApi, LATEST_PLATFORM_API)) return [`CNB_EXEC_ENV=${execEnv}`];
  if (execEnv === DEFAULT_EXEC_ENV) return [];
  throw new CnbError(
    `--exec-env ${execEnv} needs Platform API ${LATEST_PLATFORM_API}, and this build runs builder ${builder}'s lifecycle at ${platformApi}; use a builder with lifecycle 0.21 or newer, or leave --exec-env out`,
  );
}
