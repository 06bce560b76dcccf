import { expect, test } from "vitest";
import { describeJavaVersionRequest, javaRange, resolveJavaVersion } from "./java-version.js";

const compiler = "<groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId>";
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
    { pom: pomWith("<jdk>21</jdk>", `${compiler}<configuration><release>${"$"}{jdk}</release></configuration>`) },
    "21.x",
    "pom.xml",
  ],
  [
    "Micronaut's jdk.version and release.version (its parent POM reads them)",
    { pom: pomWith("<jdk.version>25</jdk.version><release.version>25</release.version>") },
    "25.x",
    "pom.xml",
  ],
  [
    "maven.compiler.source/target 1.7",
    {
      pom: pomWith(
        "<maven.compiler.source>1.7</maven.compiler.source><maven.compiler.target>1.7</maven.compiler.target>",
      ),
    },
    "7.x",
    "pom.xml",
  ],
  [
    "maven.compiler.release through a chain of properties",
    {
      pom: pomWith(
        `<maven.compiler.release>${"$"}{java.version}</maven.compiler.release><java.version>${"$"}{v}</java.version><v>17</v>`,
      ),
    },
    "17.x",
    "pom.xml",
  ],
  [
    "a java.version reference with no such property is the build JVM's, not a request",
    { pom: pomWith(`<maven.compiler.source>${"$"}{java.version}</maven.compiler.source>`) },
    "21.x",
    "default",
  ],
  [
    "the compiler plugin's <source>",
    { pom: pomWith("", `${compiler}<configuration><source>1.8</source><target>1.8</target></configuration>`) },
    "8.x",
    "pom.xml",
  ],
  [
    "a <source> of another plugin is a folder, not a version",
    {
      pom: pomWith(
        "",
        "<artifactId>build-helper-maven-plugin</artifactId><configuration><source>11</source></configuration>",
      ),
    },
    "21.x",
    "default",
  ],
  [
    "release wins over source",
    {
      pom: pomWith(
        "<maven.compiler.source>1.8</maven.compiler.source>",
        `${compiler}<configuration><release>17</release></configuration>`,
      ),
    },
    "17.x",
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
  ["Gradle Kotlin jvmToolchain", { gradle: "kotlin { jvmToolchain(17) }" }, "17.x", "build.gradle"],
  [
    "Gradle sourceCompatibility = '1.7'",
    { gradle: "sourceCompatibility = '1.7'\ntargetCompatibility = '1.7'" },
    "7.x",
    "build.gradle",
  ],
  [
    "Gradle JavaVersion.VERSION_1_8",
    { gradle: "java {\n  sourceCompatibility = JavaVersion.VERSION_1_8\n}" },
    "8.x",
    "build.gradle",
  ],
  [
    "Gradle JavaVersion.VERSION_17",
    { gradle: "java.sourceCompatibility = JavaVersion.VERSION_17" },
    "17.x",
    "build.gradle",
  ],
  ["Gradle bare 11", { gradle: "sourceCompatibility = 11" }, "11.x", "build.gradle"],
  [
    "a Gradle toolchain wins over sourceCompatibility",
    { gradle: "sourceCompatibility = 1.8\njava { toolchain { languageVersion = JavaLanguageVersion.of(21) } }" },
    "21.x",
    "build.gradle",
  ],
  ["a commented-out Gradle line is ignored", { gradle: "// sourceCompatibility = 1.8" }, "21.x", "default"],
  [
    "BP_JVM_VERSION wins over the pom",
    { env: { BP_JVM_VERSION: "25" }, pom: pomWith("<java.version>17</java.version>") },
    "25.x",
    "BP_JVM_VERSION",
  ],
  [
    "system.properties wins over the pom",
    { systemProperties: "java.runtime.version=11", pom: pomWith("<java.version>17</java.version>") },
    "11.x",
    "system.properties",
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
