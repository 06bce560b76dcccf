import { expect, test } from "vitest";
import { GRADLE_ARTIFACTS, gradleArguments, gradleArtifactPattern } from "./gradle-args.js";
import { chooseBuiltArtifact } from "./maven-args.js";

test.each([
  ["default", {}, ["--no-daemon", "assemble", "-x", "test"]],
  ["replaced", { BP_GRADLE_BUILD_ARGUMENTS: "build --offline" }, ["build", "--offline"]],
  [
    "appended",
    { BP_GRADLE_ADDITIONAL_BUILD_ARGUMENTS: `-Pname="a b"` },
    ["--no-daemon", "assemble", "-x", "test", "-Pname=a b"],
  ],
])("Gradle arguments: %s", (_name, env, args) => {
  expect(gradleArguments(env)).toEqual(args);
});

test.each([
  ["default", {}, "build/libs/*.[jw]ar"],
  ["a module", { BP_GRADLE_BUILT_MODULE: "web/" }, "web/build/libs/*.[jw]ar"],
  ["explicit wins", { BP_GRADLE_BUILT_MODULE: "web", BP_GRADLE_BUILT_ARTIFACT: "out/*.jar" }, "out/*.jar"],
])("Gradle artifact pattern: %s", (_name, env, pattern) => {
  expect(gradleArtifactPattern(env)).toBe(pattern);
});

test("Spring Boot's -plain.jar from Gradle is not chosen; several jars name the Gradle setting", () => {
  const files = ["build/libs/demo-plain.jar", "build/libs/demo.jar"];
  expect(chooseBuiltArtifact("build/libs/*.[jw]ar", files, false, GRADLE_ARTIFACTS)).toBe("build/libs/demo.jar");
  expect(() =>
    chooseBuiltArtifact("build/libs/*.[jw]ar", ["build/libs/a.jar", "build/libs/b.jar"], false, GRADLE_ARTIFACTS),
  ).toThrow("the Gradle build produced 2 files matching build/libs/*.[jw]ar: build/libs/a.jar, build/libs/b.jar");
});
