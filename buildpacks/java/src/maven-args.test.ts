import { expect, test } from "vitest";
import { shellWords } from "@cnbkit/framework/process";
import { builtArtifactPattern, chooseBuiltArtifact, mavenArguments } from "./maven-args.js";

test.each([
  ["defaults", {}, ["package", "-DskipTests", "--batch-mode", "--no-transfer-progress"]],
  ["replaced", { BP_MAVEN_BUILD_ARGUMENTS: "clean verify" }, ["clean", "verify"]],
  [
    "additional and profiles",
    { BP_MAVEN_ADDITIONAL_BUILD_ARGUMENTS: `-Dmsg="hello world"`, BP_MAVEN_ACTIVE_PROFILES: "prod,!dev" },
    ["package", "-DskipTests", "--batch-mode", "--no-transfer-progress", "-Dmsg=hello world", "-Pprod,!dev"],
  ],
])("Maven arguments: %s", (_name, env, args) => {
  expect(mavenArguments(env)).toEqual(args);
});

test("an unterminated quote names the setting", () => {
  expect(() => mavenArguments({ BP_MAVEN_ADDITIONAL_BUILD_ARGUMENTS: "-Dx='a" })).toThrow(
    "BP_MAVEN_ADDITIONAL_BUILD_ARGUMENTS: unterminated ' quote",
  );
  expect(shellWords('a\\ b \'c d\' "e\\"f"', "x")).toEqual(["a b", "c d", 'e"f']);
});

test.each([
  ["default", {}, "target/*.[ejw]ar"],
  ["a module", { BP_MAVEN_BUILT_MODULE: "web/" }, "web/target/*.[ejw]ar"],
  [
    "an explicit artifact wins",
    { BP_MAVEN_BUILT_MODULE: "web", BP_MAVEN_BUILT_ARTIFACT: "dist/app.jar" },
    "dist/app.jar",
  ],
])("artifact pattern: %s", (_name, env, pattern) => {
  expect(builtArtifactPattern(env)).toBe(pattern);
});

test.each([
  ["one jar", ["target/demo-1.0.jar", "target/classes/x.class"], "target/demo-1.0.jar"],
  ["Spring Boot's .original is not a candidate", ["target/demo.jar", "target/demo.jar.original"], "target/demo.jar"],
  ["a -plain jar is not a candidate", ["target/demo-plain.jar", "target/demo.jar"], "target/demo.jar"],
  ["a war", ["target/site.war", "target/sub/other.jar"], "target/site.war"],
])("built artifact: %s", (_name, files, chosen) => {
  expect(chooseBuiltArtifact("target/*.[ejw]ar", files, false)).toBe(chosen);
});

test("several built jars and no BP_MAVEN_BUILT_ARTIFACT: an error listing them", () => {
  expect(() => chooseBuiltArtifact("target/*.[ejw]ar", ["target/b.jar", "target/a.jar"], false)).toThrow(
    "the Maven build produced 2 files matching target/*.[ejw]ar: target/a.jar, target/b.jar",
  );
});

test("no built jar says where it looked", () => {
  expect(() => chooseBuiltArtifact("web/target/*.[ejw]ar", ["target/a.jar"], false)).toThrow(
    "the Maven build produced no file matching web/target/*.[ejw]ar",
  );
});
