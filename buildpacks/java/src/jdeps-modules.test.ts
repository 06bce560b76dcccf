import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { jdepsArguments, jdepsErrorLine, jdepsInputs, jdepsModules, modulesToLink } from "./jdeps-modules.js";

let app: string;
beforeEach(async () => {
  app = await mkdtemp(join(tmpdir(), "cnbkit-jdeps-"));
});
afterEach(async () => {
  await rm(app, { recursive: true, force: true });
});

const put = async (path: string) => {
  await mkdir(join(app, path, ".."), { recursive: true });
  await writeFile(join(app, path), "");
};

describe("what jdeps reads of an exploded app", () => {
  test("Spring Boot: its classes, and its libraries apart", async () => {
    await put("BOOT-INF/classes/com/example/App.class");
    await put("BOOT-INF/lib/spring-core-6.2.0.jar");
    await put("BOOT-INF/lib/tomcat-embed-core-10.1.0.jar");
    await put("org/springframework/boot/loader/launch/JarLauncher.class");
    expect(await jdepsInputs(app)).toEqual({
      kind: "read",
      classes: ["BOOT-INF/classes"],
      libs: ["BOOT-INF/lib/spring-core-6.2.0.jar", "BOOT-INF/lib/tomcat-embed-core-10.1.0.jar"],
    });
  });

  test("a plain or Quarkus app: its classes and every jar; a WAR or an app with nothing is skipped", async () => {
    await put("hello/Main.class");
    await put("lib/main/io.quarkus.quarkus-core-3.0.jar");
    expect(await jdepsInputs(app)).toEqual({
      kind: "read",
      classes: ["."],
      libs: ["lib/main/io.quarkus.quarkus-core-3.0.jar"],
    });
    await put("WEB-INF/web.xml");
    expect(await jdepsInputs(app)).toEqual({ kind: "skip", why: "a WAR runs in Tomcat" });
    const empty = await mkdtemp(join(tmpdir(), "cnbkit-jdeps-"));
    expect(await jdepsInputs(empty)).toEqual({ kind: "skip", why: "the app has no classes or jars" });
    await rm(empty, { recursive: true });
  });
});

test("jdeps' arguments: module names only, missing references ignored, read as the JDK's release, not followed", () => {
  expect(jdepsArguments(["BOOT-INF/lib/a.jar", "BOOT-INF/lib/b.jar"], 21)).toEqual([
    "--print-module-deps",
    "--ignore-missing-deps",
    "-q",
    "--no-recursive",
    "--multi-release",
    "21",
    "BOOT-INF/lib/a.jar",
    "BOOT-INF/lib/b.jar",
  ]);
});

test("the modules of jdeps' last line; nothing from other output", () => {
  expect(jdepsModules("java.base,java.sql,java.logging\n")).toEqual(["java.base", "java.sql", "java.logging"]);
  expect(jdepsModules("Error: split package: org.x in a.jar and b.jar\n")).toBeUndefined();
  expect(jdepsModules("")).toBeUndefined();
});

test("jlink gets both parts' modules once each, with those loaded by name the JDK has, sorted", () => {
  const jdk17 = ["java.base", "java.logging", "java.sql", "jdk.crypto.ec", "jdk.zipfs"];
  expect(
    modulesToLink(
      [
        ["java.base", "java.logging"],
        ["java.sql", "java.base"],
      ],
      jdk17,
    ),
  ).toEqual(["java.base", "java.logging", "java.sql", "jdk.crypto.ec", "jdk.zipfs"]);
  // JDK 22+ folded jdk.crypto.ec into java.base: it is not asked for when the JDK lacks it.
  expect(modulesToLink([["java.base"], []], ["java.base", "jdk.zipfs"])).toEqual(["java.base", "jdk.zipfs"]);
});

test.each([
  [
    'Exception in thread "main" java.lang.module.FindException: Module com.missing.dep not found, required by com.acme.lib',
    "Module com.missing.dep not found, required by com.acme.lib",
  ],
  ['Exception in thread "main" java.lang.NullPointerException', "java.lang.NullPointerException"],
  [
    "Error: a.jar is a multi-release jar file but --multi-release option is not set",
    "a.jar is a multi-release jar file but --multi-release option is not set",
  ],
  ["\tat java.base/java.lang.module.Resolver.findFail(Resolver.java:893)", undefined],
  ["java.base,java.sql", undefined],
])("jdeps' error in %j: %j", (line, error) => {
  expect(jdepsErrorLine(line)).toBe(error);
});
