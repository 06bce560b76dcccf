import { expect, test } from "vitest";
import { type BuildToolInputs, chooseBuildTool, needsJdk } from "./build-tool.js";

const app = (files: string[], jars: BuildToolInputs["jars"] = []): BuildToolInputs => ({
  has: (f) => files.includes(f),
  jars,
});

test.each([
  ["mvnw wins over a bare pom", app(["mvnw", "pom.xml"]), { kind: "maven", wrapper: true, dir: "." }, true],
  [
    "a pom without a wrapper takes Maven from the inventory",
    app(["pom.xml"]),
    { kind: "maven", wrapper: false, dir: "." },
    true,
  ],
  [
    "Maven wins over Gradle",
    app(["pom.xml", "gradlew", "build.gradle"]),
    { kind: "maven", wrapper: false, dir: "." },
    true,
  ],
  ["gradlew", app(["gradlew", "build.gradle.kts"]), { kind: "gradle", wrapper: true, dir: "." }, true],
  [
    "build.gradle without gradlew takes Gradle from the inventory",
    app(["build.gradle"]),
    { kind: "gradle", wrapper: false, dir: "." },
    true,
  ],
  [
    "settings.gradle.kts alone is Gradle",
    app(["settings.gradle.kts"]),
    { kind: "gradle", wrapper: false, dir: "." },
    true,
  ],
  [
    "an executable jar",
    app([], [{ path: "lib.jar" }, { path: "app.jar", mainClass: "a.Main" }]),
    { kind: "jar", jar: "app.jar" },
    false,
  ],
  ["an exploded jar", app(["META-INF/MANIFEST.MF"]), { kind: "exploded" }, false],
  [
    "polyglot Maven: a pom.yaml that .mvn/extensions.xml enables, no pom.xml",
    { ...app([".mvn/extensions.xml"]), polyglotPom: "pom.yaml" },
    { kind: "maven", wrapper: false, dir: "." },
    true,
  ],
])("%s", (_name, inputs, tool, jdk) => {
  const chosen = chooseBuildTool(inputs);
  expect(chosen).toEqual(tool);
  expect(chosen && needsJdk(chosen)).toBe(jdk);
});

test("nothing Java is no tool", () => {
  expect(chooseBuildTool(app(["package.json"], [{ path: "lib.jar" }]))).toBeUndefined();
});

test("two executable jars are listed", () => {
  const jars = [
    { path: "a.jar", mainClass: "a.A" },
    { path: "b.jar", mainClass: "b.B" },
  ];
  expect(() => chooseBuildTool(app([], jars))).toThrow(
    "the app has 2 executable jars (a.jar, b.jar); cnbkit/java runs one",
  );
});
