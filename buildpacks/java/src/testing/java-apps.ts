/**
 * Real jars for the buildpack's tests, compiled here with the host's JDK (`javac`, `jar`):
 * a plain executable jar, and a jar laid out as Spring Boot lays out its executable jars
 * (BOOT-INF/classes, BOOT-INF/lib with a Maven-built library, BOOT-INF/layers.idx, a
 * launcher class under org/), whose tiny launcher really starts the app from the exploded
 * tree as Spring Boot's JarLauncher does.
 */
import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** Runs a tool (javac, jar) in `cwd`; throws with its stderr when it fails. */
export function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
}

/** Writes `text` to `<root>/<rel>`, making its parent dirs. */
export async function put(root: string, rel: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), text);
}

/** Writes `<dir>/app.jar`: Main-Class `hello.Main`, which prints `hello from a plain jar` and its heap limit. */
export async function plainJar(dir: string, work: string): Promise<string> {
  await put(
    work,
    "src/hello/Main.java",
    `package hello;
public class Main {
  public static void main(String[] args) {
    System.out.println("hello from a plain jar, max heap " + Runtime.getRuntime().maxMemory());
  }
}
`,
  );
  await mkdir(join(work, "classes"), { recursive: true });
  run("javac", ["--release", "17", "-d", "classes", "src/hello/Main.java"], work);
  const jar = join(dir, "app.jar");
  run("jar", ["--create", "--file", jar, "--main-class", "hello.Main", "-C", "classes", "."], work);
  return jar;
}

/** The layers.idx a Spring Boot 3.x build writes. */
export const BOOT_LAYERS_IDX = [
  '- "dependencies":',
  '  - "BOOT-INF/lib/"',
  '- "spring-boot-loader":',
  '  - "org/"',
  '- "snapshot-dependencies":',
  '- "application":',
  '  - "BOOT-INF/classes/"',
  '  - "BOOT-INF/layers.idx"',
  '  - "META-INF/"',
  "",
].join("\n");

/**
 * Writes `<dir>/demo-0.0.1.jar` in Spring Boot's layout, with BOOT-INF/lib/greeting-1.2.3.jar
 * (pom.properties of com.example:greeting:1.2.3). Running it prints `boot says: hello`.
 */
export async function springBootShapedJar(dir: string, work: string): Promise<string> {
  await put(
    work,
    "lib/src/greet/Greeting.java",
    'package greet;\npublic class Greeting { public static String text() { return "hello"; } }\n',
  );
  await put(
    work,
    "lib/classes/META-INF/maven/com.example/greeting/pom.properties",
    "groupId=com.example\nartifactId=greeting\nversion=1.2.3\n",
  );
  run("javac", ["--release", "17", "-d", "lib/classes", "lib/src/greet/Greeting.java"], work);
  await mkdir(join(work, "boot/BOOT-INF/lib"), { recursive: true });
  run("jar", ["--create", "--file", "boot/BOOT-INF/lib/greeting-1.2.3.jar", "-C", "lib/classes", "."], work);
  await put(
    work,
    "app/src/com/example/Demo.java",
    'package com.example;\npublic class Demo { public static void main(String[] a) { System.out.println("boot says: " + greet.Greeting.text()); } }\n',
  );
  await put(
    work,
    "loader/src/org/springframework/boot/loader/launch/JarLauncher.java",
    `package org.springframework.boot.loader.launch;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Manifest;
/** What Spring Boot's JarLauncher does on an exploded jar, in brief. */
public class JarLauncher {
  public static void main(String[] args) throws Exception {
    List<URL> urls = new ArrayList<>();
    urls.add(new File("BOOT-INF/classes/").toURI().toURL());
    File[] libs = new File("BOOT-INF/lib").listFiles();
    if (libs != null) for (File f : libs) urls.add(f.toURI().toURL());
    Manifest m = new Manifest(new java.io.FileInputStream("META-INF/MANIFEST.MF"));
    String start = m.getMainAttributes().getValue("Start-Class");
    try (URLClassLoader cl = new URLClassLoader(urls.toArray(new URL[0]), JarLauncher.class.getClassLoader())) {
      cl.loadClass(start).getMethod("main", String[].class).invoke(null, (Object) args);
    }
  }
}
`,
  );
  run(
    "javac",
    [
      "--release",
      "17",
      "-cp",
      "boot/BOOT-INF/lib/greeting-1.2.3.jar",
      "-d",
      "boot/BOOT-INF/classes",
      "app/src/com/example/Demo.java",
    ],
    work,
  );
  run(
    "javac",
    ["--release", "17", "-d", "boot", "loader/src/org/springframework/boot/loader/launch/JarLauncher.java"],
    work,
  );
  await put(work, "boot/BOOT-INF/layers.idx", BOOT_LAYERS_IDX);
  await put(
    work,
    "MANIFEST.MF",
    [
      "Manifest-Version: 1.0",
      "Main-Class: org.springframework.boot.loader.launch.JarLauncher",
      "Start-Class: com.example.Demo",
      "Spring-Boot-Version: 3.5.4",
      "Spring-Boot-Classes: BOOT-INF/classes/",
      "Spring-Boot-Lib: BOOT-INF/lib/",
      "Spring-Boot-Layers-Index: BOOT-INF/layers.idx",
      "Build-Jdk-Spec: 21",
      "",
    ].join("\n"),
  );
  const jar = join(dir, "demo-0.0.1.jar");
  run("jar", ["--create", "--file", jar, "--manifest", "MANIFEST.MF", "-C", "boot", "."], work);
  return jar;
}
