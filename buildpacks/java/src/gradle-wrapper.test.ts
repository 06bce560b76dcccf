/**
 * Gradle's real wrapper (9.4.1's gradle-wrapper.jar and gradlew, from React Native's npm
 * template) downloading its distribution through the dependency mirrors, from an HTTP server
 * this test runs on 127.0.0.1. The distribution is a small one the wrapper accepts
 * (testing/gradle-wrapper.ts): Gradle's own zips are unreachable here, so the wrapper's download,
 * sha256 check, unzip and launch are real and the Gradle it launches is the stand-in.
 */
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import bp from "./index.js";
import { wrapperHasDistribution } from "./steps/gradle-distribution.js";
import { realGradleWrapper, sha256Hex, wrapperDistribution } from "./testing/gradle-wrapper.js";
import { testBuildpackToml } from "./testing/local-inventory.js";

const VERSION = "9.4.1";
const UPSTREAM = `https://services.gradle.org/distributions/gradle-${VERSION}-bin.zip`;

let buildpackToml: string;
let work: string;
let server: Server;
let mirror: string;
let goodSha: string;
const served: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-java-gradle-wrapper-"));
  buildpackToml = await testBuildpackToml({ jre: "17", jdk: true });
  const goodZip = await wrapperDistribution(work, VERSION, "from the mirror");
  const good = await readFile(goodZip);
  const bad = await readFile(await wrapperDistribution(work, VERSION, "tampered"));
  goodSha = await sha256Hex(goodZip);
  server = createServer((req, res) => {
    served.push(`${req.method} ${req.url ?? ""}`);
    // The mirror keeps upstream's path (optionally under /<originalHost>); /bad/ serves another zip.
    const body = req.url?.endsWith(`/distributions/gradle-${VERSION}-bin.zip`)
      ? req.url.startsWith("/bad/")
        ? bad
        : good
      : undefined;
    res.writeHead(body ? 200 : 404, { "content-length": body?.length ?? 0 });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 600_000);
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

/** A Gradle app with the real wrapper, its properties naming services.gradle.org and the good zip's sha256. */
async function wrapperApp(name: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, "src/main/java/demo"), { recursive: true });
  await mkdir(join(dir, "gradle/wrapper"), { recursive: true });
  const real = await realGradleWrapper();
  await copyFile(real.gradlew, join(dir, "gradlew"));
  await copyFile(real.jar, join(dir, "gradle/wrapper/gradle-wrapper.jar"));
  await writeFile(
    join(dir, "gradle/wrapper/gradle-wrapper.properties"),
    [
      "distributionBase=GRADLE_USER_HOME",
      "distributionPath=wrapper/dists",
      `distributionSha256Sum=${goodSha}`,
      `distributionUrl=${UPSTREAM.replace(":", "\\:")}`,
      "networkTimeout=10000",
      "zipStoreBase=GRADLE_USER_HOME",
      "zipStorePath=wrapper/dists",
      "",
    ].join("\n"),
  );
  await writeFile(join(dir, "build.gradle"), "plugins { id 'java' }\n");
  await writeFile(join(dir, "settings.gradle"), "rootProject.name = 'demo'\n");
  await writeFile(
    join(dir, "src/main/java/demo/App.java"),
    'package demo;\npublic class App { public static void main(String[] a) { System.out.println("built by the wrapper\'s Gradle"); } }\n',
  );
  for (const [rel, text] of Object.entries(extra)) await writeFile(join(dir, rel), text);
  return dir;
}

const opts = (app: string, platformEnv: Record<string, string> = {}) => ({
  app,
  buildpackToml,
  platformEnv: { BP_JVM_VERSION: "17", ...platformEnv },
  env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
});

/** The build error's message, or undefined when the build passed. */
async function buildError(o: ReturnType<typeof opts>) {
  return runBuild(bp, o).then(
    () => undefined,
    (e: Error) => e.message,
  );
}

test("BP_DEPENDENCY_MIRROR_SERVICES_GRADLE_ORG: the wrapper downloads from the mirror, checks the sha256 and runs; the user's properties file is put back", async () => {
  const dir = await wrapperApp("env-mirror", {
    // Keeps the properties file through the explode, so the test can read what the build left.
    Procfile: "web: java -jar build/libs/demo.jar\nprops: cat gradle/wrapper/gradle-wrapper.properties\n",
  });
  served.length = 0;
  const r = await runBuild(bp, opts(dir, { BP_DEPENDENCY_MIRROR_SERVICES_GRADLE_ORG: mirror }));
  const log = r.stdout.join("\n");
  const url = `${mirror}/distributions/gradle-${VERSION}-bin.zip`;
  expect(log).toContain(
    `Gradle distribution from ${url} (mirror from BP_DEPENDENCY_MIRROR_SERVICES_GRADLE_ORG), not ${UPSTREAM}`,
  );
  expect(log).toContain(`Downloading ${url}`); // the wrapper's own line
  expect(log).toContain("distribution: from the mirror");
  // cnbkit's preflight HEAD, then the wrapper's download.
  expect(served).toEqual([
    `HEAD /distributions/gradle-${VERSION}-bin.zip`,
    `GET /distributions/gradle-${VERSION}-bin.zip`,
  ]);
  // The real wrapper left the distribution where wrapperHasDistribution looks for it, so a
  // build that runs the wrapper again needs no preflight.
  const home = r.layer("gradle_home").path;
  expect(await wrapperHasDistribution(home, url)).toBe(true);
  expect(await wrapperHasDistribution(home, UPSTREAM)).toBe(false);
  const env = r.launchEnv("web");
  const run = spawnSync(join(env.JAVA_HOME as string, "bin", "java"), ["-cp", ".", "demo.App"], {
    cwd: r.app,
    encoding: "utf8",
  });
  expect(run.stdout).toBe("built by the wrapper's Gradle\n");
  const kept = await readFile(join(r.app, "gradle/wrapper/gradle-wrapper.properties"), "utf8");
  expect(kept).toContain(`distributionUrl=https\\://services.gradle.org/distributions/gradle-${VERSION}-bin.zip`);
  expect(kept).toContain(`distributionSha256Sum=${goodSha}`);
}, 600_000);

test("a dependency-mirror binding's default entry, with {originalHost}", async () => {
  const dir = await wrapperApp("binding-mirror");
  served.length = 0;
  const r = await runBuild(bp, {
    ...opts(dir),
    bindings: { "air-gap": { type: "dependency-mirror", entries: { default: `${mirror}/{originalHost}` } } },
  });
  expect(r.stdout.join("\n")).toContain("(mirror from binding air-gap (default))");
  expect(served).toEqual([
    `HEAD /services.gradle.org/distributions/gradle-${VERSION}-bin.zip`,
    `GET /services.gradle.org/distributions/gradle-${VERSION}-bin.zip`,
  ]);
}, 600_000);

test("a mirror serving another zip fails in one line: the sha256 check is kept", async () => {
  const dir = await wrapperApp("bad-mirror");
  const message = await buildError(opts(dir, { BP_DEPENDENCY_MIRROR: `${mirror}/bad` }));
  expect(message).toBe(
    `gradle/wrapper/gradle-wrapper.properties: the Gradle distribution from ${mirror}/bad/distributions/gradle-${VERSION}-bin.zip does not match distributionSha256Sum; put the real gradle-*.zip on the mirror (BP_DEPENDENCY_MIRROR) or fix the checksum`,
  );
}, 600_000);

test("an unreachable distribution fails in one line naming the URL and the setting", async () => {
  const dir = await wrapperApp("unreachable");
  // services.gradle.org does not resolve from cnbkit's CI: the wrapper fails at once.
  const message = await buildError(opts(dir));
  console.log(`unreachable: ${message}`);
  expect(message).toMatch(
    new RegExp(
      `^gradle/wrapper/gradle-wrapper\\.properties: the Gradle distribution ${UPSTREAM.replace(/\./g, "\\.")} could not be downloaded \\(\\w+(: [^)]*)?\\); set BP_DEPENDENCY_MIRROR_SERVICES_GRADLE_ORG \\(or BP_DEPENDENCY_MIRROR, or a dependency-mirror binding\\) to a mirror that has it$`,
    ),
  );
  // A mirror that is down names the mirror's setting instead: found by the preflight (a port
  // nothing listens on), and by the wrapper itself where fetch may not ask (port 1).
  const closedPort = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
  for (const [closed, reason] of [
    [`http://127.0.0.1:${closedPort}`, "ECONNREFUSED"],
    ["http://127.0.0.1:1", "ConnectException[^)]*"],
  ] as const) {
    const down = await buildError(opts(dir, { BP_DEPENDENCY_MIRROR_SERVICES_GRADLE_ORG: closed }));
    console.log(`mirror down: ${down}`);
    expect(down).toMatch(
      new RegExp(
        `^gradle/wrapper/gradle-wrapper\\.properties: the Gradle distribution ${closed.replace(/\./g, "\\.")}/distributions/gradle-9\\.4\\.1-bin\\.zip could not be downloaded \\(${reason}\\); check that the mirror set by BP_DEPENDENCY_MIRROR_SERVICES_GRADLE_ORG is up and has /distributions/gradle-9\\.4\\.1-bin\\.zip$`,
      ),
    );
  }
}, 600_000);
