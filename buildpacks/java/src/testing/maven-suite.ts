/**
 * The setup the harness tests of real Maven builds share: the test buildpack.toml with JRE 17,
 * the local Debian JDK 17 and Maven 3.9.16, and a work dir for the apps they write. Helidon,
 * polyglot Maven and the Maven cases each made these by hand.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs } from "@cnbkit/framework/testing";
import { afterAll, beforeAll } from "vitest";
import { localMavenTarball } from "../../../../tools/local-builder/local-java.js";
import { testBuildpackToml } from "./local-inventory.js";

/** What a Maven test file builds with; both are set by the time its tests run. */
export interface MavenSuite {
  /** The buildpack.toml to pass to `runBuild`. */
  buildpackToml: string;
  /** A temp dir (`/tmp/cnbkit-<name>-*`) for the file's apps, removed after its tests. */
  work: string;
  /** The `runBuild` options for the app in `app` on linux/amd64, with `platformEnv` as the platform's env. */
  opts(
    app: string,
    platformEnv?: Record<string, string>,
  ): { app: string; buildpackToml: string; platformEnv: Record<string, string>; env: Record<string, string> };
}

/**
 * Registers the file's beforeAll/afterAll: makes the buildpack.toml and the work dir before
 * (Maven's tarball may be built the first time: a long timeout), and removes the work dir and
 * the harness's temp dirs after.
 */
export function mavenSuite(name: string): MavenSuite {
  const suite: MavenSuite = {
    buildpackToml: "",
    work: "",
    opts: (app, platformEnv = {}) => ({
      app,
      buildpackToml: suite.buildpackToml,
      platformEnv,
      env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
    }),
  };
  beforeAll(async () => {
    suite.buildpackToml = await testBuildpackToml({
      jre: "17",
      jdk: true,
      extra: { mavenTarball: await localMavenTarball("3.9.16") },
    });
    suite.work = await mkdtemp(join(tmpdir(), `cnbkit-${name}-`));
  }, 600_000);
  afterAll(async () => {
    removeTempDirs();
    if (suite.work) await rm(suite.work, { recursive: true, force: true });
  });
  return suite;
}
