import { expect, test } from "vitest";
import { parseJarManifest } from "./jar-manifest.js";

const boot = [
  "Manifest-Version: 1.0",
  "Created-By: Maven JAR Plugin 3.4.2",
  "Build-Jdk-Spec: 17",
  "Main-Class: org.springframework.boot.loader.launch.JarLauncher",
  "Start-Class: com.example.demo.DemoApplicationWithAVeryLongNameThatTheJarToolWrapsAtSeventyTw",
  " oBytes",
  "Spring-Boot-Version: 3.5.4",
  "Spring-Boot-Classes: BOOT-INF/classes/",
  "Spring-Boot-Lib: BOOT-INF/lib/",
  "Spring-Boot-Classpath-Index: BOOT-INF/classpath.idx",
  "Spring-Boot-Layers-Index: BOOT-INF/layers.idx",
  "",
  "Name: ignored/entry",
  "Main-Class: not.This",
  "",
].join("\r\n");

test.each([
  ["a plain executable jar", "Manifest-Version: 1.0\nMain-Class: com.example.App\n", { mainClass: "com.example.App" }],
  [
    "Spring Boot, with a continued line and a per-entry section",
    boot,
    {
      mainClass: "org.springframework.boot.loader.launch.JarLauncher",
      startClass: "com.example.demo.DemoApplicationWithAVeryLongNameThatTheJarToolWrapsAtSeventyTwoBytes",
      springBootVersion: "3.5.4",
      springBootLayersIndex: "BOOT-INF/layers.idx",
      springBootClasspathIndex: "BOOT-INF/classpath.idx",
      buildJdkSpec: "17",
    },
  ],
  ["a library jar", "Manifest-Version: 1.0\nCreated-By: 17 (Debian)\n\n", {}],
  [
    "Class-Path",
    "Main-Class: a.B\nClass-Path: lib/x.jar  lib/y.jar\n",
    { mainClass: "a.B", classPath: ["lib/x.jar", "lib/y.jar"] },
  ],
])("%s", (_name, text, fields) => {
  const m = parseJarManifest(text);
  const { attributes: _a, ...rest } = m;
  expect(rest).toEqual({ classPath: [], ...fields });
});
