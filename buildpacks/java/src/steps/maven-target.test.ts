import { createHash } from "node:crypto";
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
import { keptTarget, markEdited, moduleTargets, recordedSources, shapeDigest } from "./maven-target.js";
import { type SourceTree, sourceTree } from "./source-tree.js";
import type { StepContext } from "./step-context.js";

const maven = mavenSuite("java-maven-target");

test("each pom.xml's module has its target/; a pom inside a target/ is not a module", () => {
  expect(moduleTargets(["pom.xml", "core/pom.xml", "core/src/A.java", "target/x/pom.xml", "README.md"])).toEqual([
    "core/target",
    "target",
  ]);
});

/** A tree whose sha256 are stand-ins (no file is read): what keptTarget and shapeDigest get from the build. */
const treeOf = (sha256: Record<string, string>): SourceTree => ({ sha256, digest: "tree" });

test("the shape changes with a file added or a pom's contents, not with another file's contents or target/", () => {
  const base = shapeDigest(treeOf({ "pom.xml": "p1", "src/A.java": "a1" }));
  expect(shapeDigest(treeOf({ "pom.xml": "p1", "src/A.java": "a2" }))).toBe(base);
  expect(shapeDigest(treeOf({ "src/A.java": "a1", "pom.xml": "p1", "target/classes/A.class": "c" }))).toBe(base);
  expect(shapeDigest(treeOf({ "pom.xml": "p1", "src/A.java": "a1", "src/B.java": "b1" }))).not.toBe(base);
  expect(shapeDigest(treeOf({ "pom.xml": "p2", "src/A.java": "a1" }))).not.toBe(base);
});

test("the shape is the value maven_target was keyed on when it read the build files itself", async () => {
  // The former shapeDigest(dir, files) of source-tree.test.ts's app: a changed value would
  // drop every kept target/ once.
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");
  const tree = treeOf({
    ".mvn/wrapper/maven-wrapper.properties": sha("distributionUrl=x\n"),
    "core/pom.xml": sha("<project><artifactId>core</artifactId></project>\n"),
    "core/src/main/java/A.java": sha("class A {}\n"),
    "pom.xml": sha("<project/>\n"),
    "src/main/resources/app.properties": sha("a=1\n"),
  });
  expect(shapeDigest(tree)).toBe("dc9ea49314c589f28755964e418b6576f03eef2757dce1355a214f061d9cb2e4");
});

test("markEdited dates to now only the files whose sha256 changed, whatever mtime they came with", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-maven-edited-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const files = ["pom.xml", "src/A.java", "src/B.java"];
  await mkdir(join(dir, "src"));
  for (const f of files) await writeFile(join(dir, f), f);
  const kept = (await sourceTree(dir, files, ["target"])).sha256;
  const long = new Date("2001-01-01T00:00:00Z");
  await writeFile(join(dir, "src/A.java"), "class A { int x; }");
  for (const f of files) await utimes(join(dir, f), long, long);
  expect(await markEdited(dir, (await sourceTree(dir, files, ["target"])).sha256, kept)).toBe(1);
  const year = async (f: string) => (await stat(join(dir, f))).mtime.getUTCFullYear();
  expect(await year("src/A.java")).toBeGreaterThan(2001);
  expect(await year("src/B.java")).toBe(2001);
});

/** keptTarget with a layer cache, its layer kept in `layer` (or none kept), logging into `log`. */
function keptTargetContext(layer: string | undefined, log: string[]) {
  return {
    layers: {
      keptByReferenceIn: "/layer-cache",
      keep: async () => (layer ? { path: layer } : undefined),
    },
    log: { detail: (line: string) => log.push(line) },
  } as unknown as StepContext<"layers" | "log">;
}

test("restore and save use the tree the build read, not a read of their own", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-maven-tree-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const app = join(dir, "app");
  const layer = join(dir, "layer");
  await mkdir(join(app, "src"), { recursive: true });
  await mkdir(join(layer, "target/classes"), { recursive: true });
  for (const f of ["pom.xml", "src/A.java", "src/B.java"]) await writeFile(join(app, f), f);
  await writeFile(
    join(layer, "sources.json"),
    JSON.stringify({ "pom.xml": "p", "src/A.java": "a", "src/B.java": "b" }),
  );
  // Stand-ins no read of the files would give: only A's differs from what the layer recorded.
  const tree = treeOf({ "pom.xml": "p", "src/A.java": "a2", "src/B.java": "b" });
  const log: string[] = [];
  const source = { dir: app, files: ["pom.xml", "src/A.java", "src/B.java"] };
  const target = await keptTarget(keptTargetContext(layer, log), source, tree, { args: "", jdk: "21", maven: "3.9" });
  await target?.restore();
  expect(log.join("\n")).toContain("an incremental build of 1 edited file");
  await target?.save();
  expect(JSON.parse(await readFile(join(layer, "sources.json"), "utf8"))).toEqual(tree.sha256);
});

test.each([
  ["no sources.json (a layer from before it was kept)", undefined],
  ["null", "null"],
  ["a list", '["src/A.java"]'],
  ["not JSON", "{"],
])("a kept layer whose sources.json is %s counts every file as edited, and does not fail", async (_, text) => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-maven-recorded-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  if (text !== undefined) await writeFile(join(dir, "sources.json"), text);
  expect(await recordedSources(dir)).toEqual({});
  await writeFile(join(dir, "sources.json"), JSON.stringify({ "src/A.java": "a", "src/B.java": 2 }));
  expect(await recordedSources(dir)).toEqual({ "src/A.java": "a" });
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
