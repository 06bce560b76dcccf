import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { expect, onTestFinished, test } from "vitest";
import bp from "../index.js";
import { runJavaProcess } from "../testing/launch.js";
import { demoSource, demoSourcePath, writeDemoMavenApp } from "../testing/demo-maven-app.js";
import { mavenSuite } from "../testing/maven-suite.js";
import { markEdited, moduleTargets, shapeDigest, sourceDigests } from "./maven-target.js";

const maven = mavenSuite("java-maven-target");

test("each pom.xml's module has its target/; a pom inside a target/ is not a module", () => {
  expect(moduleTargets(["pom.xml", "core/pom.xml", "core/src/A.java", "target/x/pom.xml", "README.md"])).toEqual([
    "core/target",
    "target",
  ]);
});

test("the shape changes with a file added or a pom's contents, not with another file's contents or target/", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-maven-shape-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, "src"));
  const files = ["pom.xml", "src/A.java"];
  const write = async (pom: string, a: string) => {
    await writeFile(join(dir, "pom.xml"), pom);
    await writeFile(join(dir, "src/A.java"), a);
  };
  await write("<project/>", "class A {}");
  const base = await shapeDigest(dir, files);
  await write("<project/>", "class A { int x; }");
  expect(await shapeDigest(dir, files)).toBe(base);
  expect(await shapeDigest(dir, [...files, "target/classes/A.class", ".git/HEAD"])).toBe(base);
  expect(await shapeDigest(dir, [...files, "src/B.java"])).not.toBe(base);
  await write("<project><version>2</version></project>", "class A { int x; }");
  expect(await shapeDigest(dir, files)).not.toBe(base);
});

test("markEdited dates to now only the files whose sha256 changed, whatever mtime they came with", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-maven-edited-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const files = ["pom.xml", "src/A.java", "src/B.java", "target/classes/A.class"];
  await mkdir(join(dir, "src"));
  await mkdir(join(dir, "target/classes"), { recursive: true });
  for (const f of files) await writeFile(join(dir, f), f);
  const kept = await sourceDigests(dir, files);
  expect(Object.keys(kept).sort()).toEqual(["pom.xml", "src/A.java", "src/B.java"]);
  const long = new Date("2001-01-01T00:00:00Z");
  await writeFile(join(dir, "src/A.java"), "class A { int x; }");
  for (const f of files) await utimes(join(dir, f), long, long);
  expect(await markEdited(dir, await sourceDigests(dir, files), kept)).toBe(1);
  const year = async (f: string) => (await stat(join(dir, f))).mtime.getUTCFullYear();
  expect(await year("src/A.java")).toBeGreaterThan(2001);
  expect(await year("src/B.java")).toBe(2001);
});

test("with a layer cache, an edit's rebuild is Maven's incremental build on the last build's target/, and runs the edit", async () => {
  const dir = await writeDemoMavenApp(join(maven.work, "app"), "first");
  const greeting = join(dir, "src/main/resources/greeting.txt");
  await mkdir(join(dir, "src/main/resources"));
  await writeFile(greeting, "hello");
  const layerCache = join(maven.work, "layer-cache");
  const first = await runBuild(bp, { ...maven.opts(dir), layerCache });
  expect(first.stdout.join("\n")).not.toContain("an incremental build");
  const kept = first.layer("maven_target");
  expect(kept.toml?.types).toEqual({ cache: true, build: false, launch: false });
  expect(existsSync(join(kept.path, "target", "classes", "demo", "App.class"))).toBe(true);
  // A file Maven never makes: back in target/ for the edit's build only if target/ was restored.
  await writeFile(join(kept.path, "target", "marker"), "");

  // The edit comes with an mtime older than the last build's classes, as a release tarball's
  // files can (the harness copies the app, dating it now; markEdited's own test covers the rest).
  // Maven's resources plugin copies a resource only when it is newer than target/'s copy.
  await writeFile(demoSourcePath(dir), demoSource("edited"));
  await writeFile(greeting, "hello again");
  const long = new Date("2001-01-01T00:00:00Z");
  for (const f of [demoSourcePath(dir), greeting]) await utimes(f, long, long);
  const edited = await runBuild(bp, { ...maven.opts(dir), layerCache, restore: first.layers });
  const log = edited.stdout.join("\n");
  expect(log).toContain(
    "Maven's target/ is the last build's (same files, same build files): an incremental build of 2 edited files",
  );
  expect(existsSync(join(edited.layer("maven_target").path, "target", "marker"))).toBe(true);
  expect(runJavaProcess(edited).stdout).toBe("edited\n");
  const shipped = join(edited.layer("maven_target").path, "target", "classes", "greeting.txt");
  expect(await readFile(shipped, "utf8")).toBe("hello again");
}, 300_000);
