import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ensureBaseImages } from "../base/images.js";
import { buildApp } from "./build.js";
import { testBuilderRootfs } from "./test-fixtures.js";

let work = "";
let builder = "";
let runRef = "";
const out: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-build-test-"));
  const { build, run } = await ensureBaseImages({ onProgress: () => {} });
  if (!build.rootfs) throw new Error("build rootfs not cached");
  runRef = run.ref;
  builder = await testBuilderRootfs(build.rootfs, runRef);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  if (builder) await rm(join(builder, ".."), { recursive: true, force: true });
});

test("builds an app into an OCI layout that skopeo reads, and a rebuild reuses layers", async () => {
  const app = join(work, "app");
  await mkdir(app);
  await writeFile(join(app, "index.html"), "<h1>hello cnbkit</h1>\n");
  const cacheDir = join(work, "cache");
  const output = `oci:${join(work, "out")}:v1`;
  const t0 = Date.now();
  const first = await buildApp({
    appDir: app,
    builder,
    output,
    cacheDir,
    env: { GREETING: "hi" },
    onOutput: (l) => out.push(l),
  });
  const cold = Date.now() - t0;
  console.log(`cold build: ${cold} ms`);
  console.log(out.join("\n"));
  expect(out.join("\n")).toMatch(/GREETING=hi/);
  const inspect = spawnSync("skopeo", ["inspect", `oci:${join(work, "out")}:v1`], { encoding: "utf8" });
  expect(inspect.status).toBe(0);
  const labels = JSON.parse(inspect.stdout).Labels as Record<string, string>;
  expect(labels["io.buildpacks.lifecycle.metadata"]).toBeDefined();
  expect(JSON.parse(labels["io.buildpacks.build.metadata"] as string).processes[0].type).toBe("web");
  expect(first.digest).toMatch(/^sha256:/);

  out.length = 0;
  const t1 = Date.now();
  const second = await buildApp({ appDir: app, builder, output, cacheDir, onOutput: (l) => out.push(l) });
  console.log(`warm build: ${Date.now() - t1} ms`);
  expect(out.join("\n")).toMatch(/Reusing layer/);
  expect(second.reusedLayers.length).toBeGreaterThan(0);
});
