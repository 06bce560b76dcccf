import { expect, test } from "vitest";
import { describeJavaVersionRequest, javaRange, resolveJavaVersion } from "./java-version.js";

const pomWith = (props: string, plugin = "") =>
  `<project><properties>${props}</properties><build><plugins><plugin>${plugin}</plugin></plugins></build></project>`;

test.each([
  [
    "BP_JVM_VERSION wins over everything",
    { env: { BP_JVM_VERSION: "17" }, systemProperties: "java.runtime.version=25" },
    "17.x",
    "BP_JVM_VERSION",
  ],
  [
    "system.properties",
    { systemProperties: "# x\njava.runtime.version = 25\n", sdkmanrc: "java=17.0.9-tem" },
    "25.x",
    "system.properties",
  ],
  ["system.properties 1.8", { systemProperties: "java.runtime.version=1.8" }, "8.x", "system.properties"],
  [
    ".sdkmanrc with a vendor suffix",
    { sdkmanrc: "java=17.0.9-tem\n", pom: pomWith("<java.version>21</java.version>") },
    "17.0.9",
    ".sdkmanrc",
  ],
  [
    "pom.xml maven.compiler.release",
    { pom: pomWith("<maven.compiler.release>25</maven.compiler.release><java.version>17</java.version>") },
    "25.x",
    "pom.xml",
  ],
  ["pom.xml java.version (Spring Boot's)", { pom: pomWith("<java.version>17</java.version>") }, "17.x", "pom.xml"],
  [
    "pom.xml <release> through a property",
    { pom: pomWith("<jdk>21</jdk>", `<configuration><release>${"$"}{jdk}</release></configuration>`) },
    "21.x",
    "pom.xml",
  ],
  [
    "a commented-out pom property is ignored",
    { pom: pomWith("<!-- <java.version>8</java.version> -->") },
    "21.x",
    "default",
  ],
  [
    "Gradle Groovy toolchain",
    { gradle: "java {\n  toolchain {\n    languageVersion = JavaLanguageVersion.of(17)\n  }\n}" },
    "17.x",
    "build.gradle",
  ],
  [
    "Gradle Kotlin toolchain",
    { gradle: 'java { toolchain { languageVersion.set(JavaLanguageVersion.of("25")) } }' },
    "25.x",
    "build.gradle",
  ],
  ["manifest Build-Jdk-Spec", { buildJdkSpec: "17" }, "17.x", "MANIFEST.MF Build-Jdk-Spec"],
  ["default", {}, "21.x", "default"],
])("%s", (_name, inputs, range, source) => {
  const r = resolveJavaVersion({ env: {}, defaultVersion: "21", ...inputs });
  expect([r.range, r.source]).toEqual([range, source]);
});

test.each([
  ["17", "17.x"],
  ["1.8", "8.x"],
  ["21.0.11", "21.0.11"],
  ["21.*", "21.*"],
])("javaRange(%s) is %s", (text, range) => {
  expect(javaRange(text, "BP_JVM_VERSION")).toBe(range);
});

test("a version that is not one names its source", () => {
  expect(() => resolveJavaVersion({ env: { BP_JVM_VERSION: "latest" }, defaultVersion: "21" })).toThrow(
    'BP_JVM_VERSION: "latest" is not a Java version',
  );
});

test("the log line names the source and the expansion", () => {
  expect(describeJavaVersionRequest({ range: "17.x", raw: "17", source: "pom.xml" })).toBe(
    'pom.xml: "17" → "17.x"  (BP_JVM_VERSION unset)',
  );
});
