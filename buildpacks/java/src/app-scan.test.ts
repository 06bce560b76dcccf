import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { scanAppDir } from "./app-scan.js";
import { plainJar, springBootShapedJar } from "./testing/java-apps.js";

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

  const scan = await scanAppDir(app);
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
