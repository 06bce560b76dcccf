/**
 * The checks of the build options that conflict or are malformed, made before anything is
 * unpacked or written: a bad combination is one line naming the flags, and no output changes.
 */
import { CnbError } from "@cnbkit/framework";
import { parseReference } from "../../oci/index.js";
import { parseExecEnv } from "../exec-env.js";

/**
 * The options {@link checkBuildFlags} looks at (a part of options.ts's BuildOptions);
 * `--output` and `--tag` are checked where they are parsed, once, destination.ts.
 */
export interface BuildFlags {
  cacheDir?: string;
  cacheImage?: string;
  defaultProcess?: string;
  creationTime?: number;
  execEnv?: string;
}

/** A process type as the lifecycle accepts it in launch.toml. */
const PROCESS_TYPE = /^[A-Za-z0-9_.-]+$/;

/** Throws a one-line {@link CnbError} for options that conflict or are malformed. */
export function checkBuildFlags(opts: BuildFlags): void {
  if (opts.cacheImage !== undefined) {
    if (opts.cacheDir !== undefined) {
      throw new CnbError("--cache-image and --cache-dir both name the build cache; give one of them");
    }
    if (parseReference(opts.cacheImage).kind !== "registry") {
      throw new CnbError(
        `--cache-image ${opts.cacheImage}: the lifecycle keeps its cache in a registry; give a registry reference, e.g. registry.example.com/app-cache`,
      );
    }
  }
  if (opts.defaultProcess !== undefined && !PROCESS_TYPE.test(opts.defaultProcess)) {
    throw new CnbError(
      `--default-process "${opts.defaultProcess}" is not a process type (letters, digits, '.', '_', '-')`,
    );
  }
  if (opts.creationTime !== undefined && !(Number.isSafeInteger(opts.creationTime) && opts.creationTime >= 0)) {
    throw new CnbError(`creation time ${opts.creationTime} is not whole seconds since the epoch`);
  }
  if (opts.execEnv !== undefined) parseExecEnv(opts.execEnv);
}
