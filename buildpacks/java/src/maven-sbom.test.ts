import { expect, test } from "vitest";
import { jarComponent, parsePomProperties } from "./maven-sbom.js";

const props = (g: string, a: string, v: string) =>
  `#Created by Apache Maven\ngroupId=${g}\nartifactId=${a}\nversion=${v}\n`;

test("pom.properties coordinates", () => {
  expect(parsePomProperties(props("org.slf4j", "slf4j-api", "2.0.17"))).toEqual({
    groupId: "org.slf4j",
    artifactId: "slf4j-api",
    version: "2.0.17",
  });
  expect(parsePomProperties("groupId=x\n")).toBeUndefined();
});

test.each([
  [
    "one pom",
    "slf4j-api-2.0.17.jar",
    [{ path: "META-INF/maven/org.slf4j/slf4j-api/pom.properties", text: props("org.slf4j", "slf4j-api", "2.0.17") }],
    "pkg:maven/org.slf4j/slf4j-api@2.0.17",
  ],
  [
    "a shaded jar: its own coordinates win",
    "app-lib-1.0.jar",
    [
      { path: "META-INF/maven/com.google/guava/pom.properties", text: props("com.google", "guava", "33.0") },
      { path: "META-INF/maven/com.acme/app-lib/pom.properties", text: props("com.acme", "app-lib", "1.0") },
    ],
    "pkg:maven/com.acme/app-lib@1.0",
  ],
  ["no pom: no purl", "x.jar", [], undefined],
])("%s", (_name, jar, poms, purl) => {
  expect(jarComponent(jar, poms, "ab".repeat(32))?.purl).toBe(purl);
});

test("a jar with no pom.properties (Spring's, built with Gradle) is listed by its file name, without a purl", () => {
  const sha256 = "cd".repeat(32);
  expect(jarComponent("spring-core-7.0.8.jar", [], sha256, "7.0.8")).toEqual({
    name: "spring-core",
    version: "7.0.8",
    sha256,
    type: "library",
  });
  expect(jarComponent("spring-boot-jarmode-tools-4.0.7.jar", [], sha256)).toMatchObject({
    name: "spring-boot-jarmode-tools",
    version: "4.0.7",
  });
  expect(jarComponent("tomcat-embed-core-11.0.22.jar", [], sha256)).toMatchObject({
    name: "tomcat-embed-core",
    version: "11.0.22",
  });
  expect(jarComponent("legacy.jar", [], sha256, "2.1")).toMatchObject({ name: "legacy", version: "2.1" });
  expect(jarComponent("legacy.jar", [], sha256)).toEqual({ name: "legacy", sha256, type: "library" });
});
