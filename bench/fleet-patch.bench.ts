/**
 * `cnbkit fleet patch` at a fleet's scale, against rebuilding: examples/apps/node-hello built
 * with the local reference builder on Node.js 24.20.0 (the image to patch) and on 24.21.0 (the
 * reference), by the real lifecycle; the old image made into a fleet in a loopback
 * distribution v3 registry (10 tags a repository, each with a config of its own), then,
 * through the bundled CLI as a user runs it (peak RSS from /usr/bin/time):
 * - `fleet patch` of every image onto the reference's runtime layer: images/s, bytes pushed an
 *   image, and the re-run (everything already done);
 * - the floor, in the same run: each image's manifest read and written back under a new tag
 *   (one GET and one PUT an image, 16 at once), the least any tool that writes a new image
 *   for each of them must do;
 * - against a rebuild: `cnbkit build` of the same app on 24.21.0 with the 24.20.0 build's
 *   cache and previous image (what CI does per app), its seconds and the bytes it would push
 *   (the layers that differ from the old image's, its config and manifest).
 *
 * Usage: npm run bench:fleet-patch [-- 1000]   (the fleet size, else BENCH_PATCH_SIZE, else 1000)
 * BENCH_PATCH_APP=python: examples/apps/python-hello on CPython 3.13.5 → 3.13.18 instead, with
 * the local builder made with `patchBuilds` (test/long/patch-builds-builder.ts).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { FleetInventory } from "../builder-packager/src/fleet/index.js";
import { makeFleet } from "../builder-packager/src/fleet/test-fleet.js";
import { copyImage, openImageSink, openImageSource, RegistryClient } from "../builder-packager/src/oci/index.js";
import { mapLimit } from "../builder-packager/src/oci/registry.js";
import { startRegistry } from "../builder-packager/src/oci/test-registry.js";
import { BASE_LAYOUT, caBindingArgs, referenceBuilder } from "../test/e2e/support.js";
import { patchBuildsBuilder } from "../test/long/patch-builds-builder.js";
import { table } from "./stats.js";

const ROOT = join(import.meta.dirname, "..");
const size = Number(process.argv[3] ?? process.env.BENCH_PATCH_SIZE ?? 1000);
/** The app, the variable that pins its runtime, the two builds and the builder that has both. */
const APPS = {
  node: { app: "node-hello", env: "BP_NODE_VERSION", old: "24.20.0", new: "24.21.0", builder: referenceBuilder },
  python: {
    app: "python-hello",
    env: "BP_CPYTHON_VERSION",
    old: "3.13.5",
    new: "3.13.18",
    builder: patchBuildsBuilder,
  },
};
const which = (process.env.BENCH_PATCH_APP ?? "node") as keyof typeof APPS;
const A = APPS[which];
if (!A) throw new Error(`BENCH_PATCH_APP=${which}: one of ${Object.keys(APPS).join(", ")}`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const work = await mkdtemp(join(tmpdir(), "cnbkit-bench-patch-"));
const CLI = join(work, "cnbkit.mjs");
execFileSync(process.execPath, [join(ROOT, "scripts/build-cli.mjs"), CLI]);

/** Runs the bundled CLI under /usr/bin/time: wall seconds, peak RSS, output. */
function cli(
  args: string[],
): Promise<{ seconds: number; rssMb: number; stdout: string; stderr: string; code: number }> {
  return new Promise((res) => {
    const t0 = performance.now();
    const child = spawn("/usr/bin/time", ["-f", "MAXRSS %M", process.execPath, CLI, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) =>
      res({
        seconds: (performance.now() - t0) / 1000,
        rssMb: Number(/MAXRSS (\d+)/.exec(stderr)?.[1] ?? 0) / 1024,
        stdout,
        stderr,
        code: code ?? 1,
      }),
    );
  });
}

/** The layers (descriptors) of a layout image. */
async function manifestOf(ref: string) {
  return (await (await openImageSource(ref)).image()).manifest;
}

const registry = await startRegistry({
  binary: execFileSync("bash", [join(ROOT, "scripts/fetch-distribution.sh")], { encoding: "utf8" }).trim(),
});
try {
  console.log(`load average at start: ${load()}`);
  const builder = await A.builder();
  const ca = await caBindingArgs();
  const app = join(work, "app");
  execFileSync("cp", ["-r", join(ROOT, "examples/apps", A.app), app]);
  const build = async (version: string, out: string, cache: string, previous?: string) => {
    const args = ["build", app, "--builder", builder, "--output", out, "--cache-dir", cache, ...ca];
    const r = await cli([...args, "--env", `${A.env}=${version}`, ...(previous ? ["--previous-image", previous] : [])]);
    if (r.code !== 0) throw new Error(`build on ${version} failed: ${r.stderr}`);
    return r;
  };
  const old = `oci:${join(work, "old")}:latest`;
  await build(A.old, old, join(work, "cache"));
  // The rebuild CI would do: same cache, previous image, the newer runtime.
  const fresh = `oci:${join(work, "fresh")}:latest`;
  const rebuild = await build(A.new, fresh, join(work, "cache"), old);
  const [before, after] = [await manifestOf(old), await manifestOf(fresh)];
  const had = new Set(before.manifest.layers.map((l) => l.digest));
  const rebuildBytes =
    after.manifest.layers.filter((l) => !had.has(l.digest)).reduce((n, l) => n + l.size, 0) +
    after.manifest.config.size +
    after.bytes.length;

  const t0 = performance.now();
  const fleet = await makeFleet({
    registry: registry.host,
    prefix: "p/",
    apps: [old],
    runImage: `oci:${BASE_LAYOUT}:run`,
    repositories: Math.ceil(size / 10),
    tagsPerRepository: 10,
  });
  console.log(`made ${fleet.images.length} images in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const reference = `${registry.host}/p/reference/${which}:${A.new}`;
  await copyImage(await openImageSource(fresh), await openImageSink(reference));
  const inv = join(work, "fleet.json");
  const scan = await cli(["fleet", "scan", `${registry.host}/p/`, "-o", inv]);
  if (scan.code !== 0) throw new Error(`scan failed: ${scan.stderr}`);
  const inventory = JSON.parse(await readFile(inv, "utf8")) as FleetInventory;

  // The floor: one GET and one PUT of each image's manifest, 16 at once.
  const client = new RegistryClient(registry.host);
  const apps = inventory.images.filter((r) => !r.repository.endsWith(`/reference/${which}`));
  const f0 = performance.now();
  await mapLimit(apps, 16, async (r, i) => {
    const repo = r.repository.slice(registry.host.length + 1);
    const m = await client.getManifest(repo, r.digest);
    await client.putManifest(repo, `floor-${i}`, m.bytes, m.mediaType);
  });
  const floorRate = apps.length / ((performance.now() - f0) / 1000);

  const patch = await cli(["fleet", "patch", "-i", inv, "--from", reference, "--concurrency", "16"]);
  if (patch.code !== 0) throw new Error(`patch failed: ${patch.stderr}\n${patch.stdout}`);
  console.log(patch.stdout.split("\n").slice(-3).join("\n"));
  const m = /Patched (\d+) tags in ([\d.]+)s \(([\d.]+)\/s, (\d+) bytes pushed per image\)/.exec(patch.stdout);
  const again = await cli(["fleet", "patch", "-i", inv, "--from", reference]);
  const patchedTags = Number(m?.[1] ?? 0);
  const patchImages = /Plan: (\d+) to patch/.exec(patch.stdout)?.[1] ?? "?";
  const rows: (string | number)[][] = [
    ["what", "images", "figure", "goal"],
    [
      "fleet patch (16 at once), command wall time",
      patchImages,
      `${(Number(patchImages) / patch.seconds).toFixed(1)} images/s (${patch.seconds.toFixed(1)} s, incl. plan)`,
      "≥ 50/s",
    ],
    ["fleet patch, the patch phase", patchedTags, `${m?.[3]} tags/s (${m?.[2]} s)`, ""],
    ["bytes pushed an image (patch)", patchedTags, `${m?.[4]} B`, ""],
    ["fleet patch peak RSS", patchImages, `${patch.rssMb.toFixed(0)} MB`, ""],
    ["re-run (all done)", patchImages, `${again.seconds.toFixed(1)} s`, ""],
    ["floor: manifest GET + PUT alone (16 at once)", apps.length, `${floorRate.toFixed(0)} images/s`, ""],
    ["patch / that floor", patchImages, `${((Number(patchImages) / patch.seconds / floorRate) * 100).toFixed(0)}%`, ""],
    ["rebuild with cnbkit build (warm cache, previous image)", 1, `${rebuild.seconds.toFixed(1)} s an image`, ""],
    ["bytes a rebuild pushes an image", 1, `${rebuildBytes} B`, ""],
    [
      "patch vs rebuild, time an image",
      "",
      `${((rebuild.seconds * Number(patchImages)) / patch.seconds).toFixed(0)}× faster`,
      "",
    ],
    ["patch vs rebuild, bytes an image", "", `${(rebuildBytes / Number(m?.[4] ?? 1)).toFixed(0)}× fewer`, ""],
  ];
  console.log(`load average at end: ${load()}`);
  table(rows);
} finally {
  await registry.stop();
  if (existsSync(work)) await rm(work, { recursive: true, force: true });
}
