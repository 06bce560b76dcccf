import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, expect, test } from "vitest";
import yazl from "yazl";
import { isOwnJar, scanAppDir } from "./app-scan.js";
import { listFiles } from "./steps/source-tree.js";
import { plainJar, put, springBootShapedJar } from "./testing/java-apps.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const temp = async () => {
  const d = await mkdtemp(join(tmpdir(), "cnbkit-app-scan-"));
  dirs.push(d);
  return d;
};

test("one pass counts class files and jar entries and lists each jar, by Maven coordinates or by file name", async () => {
  const work = await temp();
  const app = await temp();
  const boot = await springBootShapedJar(work, await temp());
  expect(spawnSync("jar", ["xf", boot], { cwd: app }).status).toBe(0);
  // A library without pom.properties, named as Maven names artifacts.
  const util = join(app, "BOOT-INF", "lib", "plain-util-2.0.jar");
  await copyFile(await plainJar(work, await temp()), util);

  const scan = await scanAppDir(app, await listFiles(app));
  // Demo.class and JarLauncher.class exploded, Greeting.class and hello/Main.class in the jars.
  expect(scan.classes).toBe(4);
  const sha = async (f: string) =>
    createHash("sha256")
      .update(await readFile(f))
      .digest("hex");
  expect(scan.libraries).toEqual([
    {
      name: "greeting",
      version: "1.2.3",
      purl: "pkg:maven/com.example/greeting@1.2.3",
      sha256: await sha(join(app, "BOOT-INF", "lib", "greeting-1.2.3.jar")),
      type: "library",
    },
    { name: "plain-util", version: "2.0", sha256: await sha(util), type: "library" },
  ]);
}, 300_000);

test("a jar met before (same bytes, same name) is taken from the earlier scan, not read again", async () => {
  const work = await temp();
  const app = await temp();
  const boot = await springBootShapedJar(work, await temp());
  expect(spawnSync("jar", ["xf", boot], { cwd: app }).status).toBe(0);
  const first = await scanAppDir(app, await listFiles(app));
  expect(first.jars.map((j) => [j.name, j.classes])).toEqual([["greeting-1.2.3.jar", 1]]);
  // Told the jar has 100 classes and another name in the SBOM: the scan believes it.
  const known = first.jars.map((j) => ({ ...j, classes: 100, component: { ...j.component, name: "from-memo" } }));
  const again = await scanAppDir(app, await listFiles(app), [], known);
  expect(again.classes).toBe(first.classes - 1 + 100);
  expect(again.libraries.map((l) => l.name)).toEqual(["from-memo"]);
  // The same bytes under another name are read again (the name may name the component).
  const renamed = known.map((j) => ({ ...j, name: "other.jar" }));
  expect((await scanAppDir(app, await listFiles(app), [], renamed)).classes).toBe(first.classes);
}, 300_000);

/** Writes a zip at `path` with `entries` (name → text): the scan reads names, manifests and pom.properties. */
async function zipOf(path: string, entries: Record<string, string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(entries)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path));
}

const sha = async (f: string) =>
  createHash("sha256")
    .update(await readFile(f))
    .digest("hex");

test.each([
  ["target/quarkus-app", "as a Maven build leaves it"],
  [".", "its contents at the app root"],
])(
  "Quarkus fast-jar (%s, %s): only lib/'s jars are libraries; the runner, app/ and quarkus/ are the app, and their classes count",
  async (root) => {
    const app = await temp();
    const q = join(app, root);
    await zipOf(join(q, "quarkus-run.jar"), {
      "META-INF/MANIFEST.MF":
        "Manifest-Version: 1.0\nMain-Class: io.quarkus.bootstrap.runner.QuarkusEntryPoint\nClass-Path: lib/boot/io.quarkus.quarkus-bootstrap-runner-3.15.1.jar\n",
    });
    const runner = join(q, "lib/boot/io.quarkus.quarkus-bootstrap-runner-3.15.1.jar");
    await zipOf(runner, {
      "META-INF/maven/io.quarkus/quarkus-bootstrap-runner/pom.properties":
        "groupId=io.quarkus\nartifactId=quarkus-bootstrap-runner\nversion=3.15.1\n",
      "io/quarkus/bootstrap/runner/QuarkusEntryPoint.class": "",
    });
    const core = join(q, "lib/main/io.quarkus.quarkus-core-3.15.1.jar");
    await zipOf(core, { "io/quarkus/runtime/Application.class": "" });
    // The app's own code, as Maven names it, with the pom.properties Maven puts in every jar it builds.
    await zipOf(join(q, "app/demo-1.0.jar"), {
      "META-INF/maven/com.example/demo/pom.properties": "groupId=com.example\nartifactId=demo\nversion=1.0\n",
      "com/example/GreetingResource.class": "",
      "com/example/Greeting.class": "",
    });
    await zipOf(join(q, "quarkus/generated-bytecode.jar"), { "io/quarkus/runner/ApplicationImpl.class": "" });
    await put(q, "quarkus/quarkus-application.dat", "dat\n");

    const scan = await scanAppDir(app, await listFiles(app));
    expect(scan.classes).toBe(5);
    expect(scan.libraries).toEqual([
      {
        name: "quarkus-bootstrap-runner",
        version: "3.15.1",
        purl: "pkg:maven/io.quarkus/quarkus-bootstrap-runner@3.15.1",
        sha256: await sha(runner),
        type: "library",
      },
      { name: "io.quarkus.quarkus-core", version: "3.15.1", sha256: await sha(core), type: "library" },
    ]);
  },
);

test.each([
  ["target/quarkus-app/app/demo-1.0.jar", ["target/quarkus-app"], true],
  ["target/quarkus-app/quarkus-run.jar", ["target/quarkus-app"], true],
  ["target/quarkus-app/quarkus/generated-bytecode.jar", ["target/quarkus-app"], true],
  ["target/quarkus-app/lib/main/io.quarkus.quarkus-core-3.15.1.jar", ["target/quarkus-app"], false],
  ["app/demo.jar", ["."], true],
  ["lib/boot/r.jar", ["."], false],
  // Not a fast-jar: every jar is a library, an app/ dir's too.
  ["app/demo.jar", [], false],
  ["BOOT-INF/lib/app-1.0.jar", [], false],
  ["other/app/x.jar", ["target/quarkus-app"], false],
])("isOwnJar(%s, %o) is %s", (jar, roots, own) => {
  expect(isOwnJar(jar, roots)).toBe(own);
});
