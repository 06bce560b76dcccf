import { describe, expect, test } from "vitest";
import { jdepsArguments, jdepsErrorLine, jdepsInputs, jdepsModules, modulesToLink } from "./jdeps-modules.js";

describe("what jdeps reads of an exploded app, from its files", () => {
  test("Spring Boot: its classes, and its libraries apart", () => {
    const files = [
      "BOOT-INF/lib/tomcat-embed-core-10.1.0.jar",
      "BOOT-INF/classes/com/example/App.class",
      "BOOT-INF/lib/spring-core-6.2.0.jar",
      "org/springframework/boot/loader/launch/JarLauncher.class",
    ];
    expect(jdepsInputs(files)).toEqual({
      kind: "read",
      classes: ["BOOT-INF/classes"],
      libs: ["BOOT-INF/lib/spring-core-6.2.0.jar", "BOOT-INF/lib/tomcat-embed-core-10.1.0.jar"],
    });
  });

  test("a plain or Quarkus app: its classes and every jar; a WAR or an app with nothing is skipped", () => {
    const files = ["hello/Main.class", "lib/main/io.quarkus.quarkus-core-3.0.jar"];
    expect(jdepsInputs(files)).toEqual({
      kind: "read",
      classes: ["."],
      libs: ["lib/main/io.quarkus.quarkus-core-3.0.jar"],
    });
    expect(jdepsInputs([...files, "WEB-INF/web.xml"])).toEqual({ kind: "skip", why: "a WAR runs in Tomcat" });
    expect(jdepsInputs(["Procfile"])).toEqual({ kind: "skip", why: "the app has no classes or jars" });
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
