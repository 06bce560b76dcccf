/**
 * The setup the Python buildpack's harness tests share: the test buildpack.toml (see
 * inventory.ts) made once per file, and the `runBuild`/`runDetect` options that build an app
 * with it. The buildpack, install and package-manager tests each wrote these by hand.
 */
import { beforeAll } from "vitest";
import { TEST_ENV, testBuildpackToml } from "./inventory.js";

/** What a test file builds with; set by the time its tests run. */
export interface PythonHarness {
  /** The options for `runBuild`/`runDetect`: `app` (files or a dir), the test inventory, `platformEnv`. */
  opts(
    app: Record<string, string> | string,
    platformEnv?: Record<string, string>,
  ): {
    app: Record<string, string> | string;
    buildpackToml: string;
    env: Record<string, string>;
    platformEnv: Record<string, string>;
  };
  /** The test CPython's version, e.g. "3.11.2". */
  readonly version: string;
}

/**
 * Registers the file's beforeAll that makes the test buildpack.toml (the CPython tarball may be
 * built the first time: a long timeout).
 */
export function pythonHarness(): PythonHarness {
  let toml = "";
  let version = "";
  beforeAll(async () => {
    ({ toml, version } = await testBuildpackToml());
  }, 300_000);
  return {
    opts: (app, platformEnv = {}) => ({ app, buildpackToml: toml, env: TEST_ENV, platformEnv }),
    get version() {
      return version;
    },
  };
}
