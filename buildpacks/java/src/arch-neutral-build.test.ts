import { describe, expect, test } from "vitest";
import { archDependence, isBuildFile } from "./arch-neutral-build.js";

describe("archDependence", () => {
  test.each([
    ["a plain Spring Boot pom", "<dependency><artifactId>spring-boot-starter-web</artifactId></dependency>", undefined],
    [
      "netty-tcnative by os-maven-plugin's classifier",
      `<extension><artifactId>os-maven-plugin</artifactId></extension><classifier>\${os.detected.classifier}</classifier>`,
      "pom.xml detects the OS and CPU (os-maven-plugin / osdetector)",
    ],
    ["a property read from os.arch", `<value>\${os.arch}</value>`, "pom.xml reads os.arch"],
    [
      "a profile activated by the CPU",
      "<profile><activation><os><family>unix</family><arch>aarch64</arch></os></activation></profile>",
      "pom.xml has a profile activated by the CPU (<os><arch>)",
    ],
    [
      "an <os> activation without <arch> (family only)",
      "<profile><activation><os><family>unix</family></os></activation><build><arch>x</arch></build></profile>",
      undefined,
    ],
    ["a GraalVM native image", "<artifactId>native-maven-plugin</artifactId>", "pom.xml compiles native code"],
  ])("%s", (_name, text, expected) => {
    expect(archDependence([{ path: "pom.xml", text }])).toBe(expected);
  });

  test("Gradle's osdetector in a sub-project's script", () => {
    expect(
      archDependence([
        { path: "build.gradle", text: "plugins { id 'java' }" },
        { path: "grpc/build.gradle.kts", text: 'id("com.google.osdetector") version "1.7.3"' },
      ]),
    ).toBe("grpc/build.gradle.kts detects the OS and CPU (os-maven-plugin / osdetector)");
  });
});

test("isBuildFile: poms and Gradle scripts at any depth, nothing else", () => {
  expect(
    ["pom.xml", "a/pom.xml", "build.gradle.kts", "settings.gradle", "src/Main.java", "xpom.xml"].map(isBuildFile),
  ).toEqual([true, true, true, true, false, false]);
});
