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
  ["no pom", "x.jar", [], undefined],
])("%s", (_name, jar, poms, purl) => {
  expect(jarComponent(jar, poms, "ab".repeat(32))?.purl).toBe(purl);
});
