/**
 * Faults that used to lose data in an OCI layout, run for real: 8 writer processes at once,
 * a flipped byte in a blob, a writer killed mid-blob on a nearly full tmpfs, a full disk,
 * and a layout rewritten until it would have grown forever.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import { openImageSink, openImageSource, copyImage } from "./image-store.js";
import { OciLayout } from "./layout.js";
import { bundleTestScript } from "./test-bundle.js";

let work = "";
let writer = "";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-layout-faults-"));
  writer = await bundleTestScript(join(import.meta.dirname, "test-layout-writer.ts"), join(work, "writer.mjs"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs the writer process: one image with a layer holding `text`, tagged `tag` in `dir`. */
function write(
  dir: string,
  tag: string,
  text: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [writer, dir, tag, text], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  return new Promise((res) => child.on("close", (code) => res({ code, stdout, stderr })));
}

/** Every blob the layout's images reference is there and hashes to its name (skopeo reads each tag). */
async function expectWhole(dir: string): Promise<void> {
  const layout = await OciLayout.open(dir);
  for (const tag of await layout.tags()) {
    const src = await openImageSource(`oci:${dir}:${tag}`, { onWarning: (l) => expect.fail(l) });
    const { manifest } = await src.image();
    for (const d of [manifest.manifest.config, ...manifest.manifest.layers]) {
      expect(await layout.checkBlob(d.digest)).toBe("ok");
    }
    const s = spawnSync("skopeo", ["inspect", `oci:${dir}:${tag}`], { encoding: "utf8" });
    expect(s.status, s.stderr).toBe(0);
  }
}

/** A tmpfs of `size` at a new dir, unmounted when the test ends. */
async function smallDisk(size: string): Promise<string> {
  const dir = await mkdtemp(join(work, "disk-"));
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { encoding: "utf8" });
  expect(m.status, m.stderr).toBe(0);
  onTestFinished(() => {
    spawnSync("umount", [dir]);
  });
  return dir;
}

/** Flips one byte of a file in place, as a bad disk or a stray write would. */
async function flipByte(path: string): Promise<void> {
  const f = await open(path, "r+");
  const b = Buffer.alloc(1);
  await f.read(b, 0, 1, 20);
  b[0] = (b[0] ?? 0) ^ 0xff;
  await f.write(b, 0, 1, 20);
  await f.close();
}

/** A pid no process has now (a child that has exited and been reaped). */
function deadPid(): number {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

describe("an OCI layout under faults", () => {
  test("8 writer processes at once, each with its own tag: every tag and blob is kept", async () => {
    const dir = join(work, "concurrent");
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => write(dir, `t${i}`, `image ${i}`)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const layout = await OciLayout.open(dir);
    expect((await layout.tags()).sort()).toEqual(["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"]);
    for (const [i, r] of results.entries()) expect((await layout.descriptor(`t${i}`)).digest).toBe(r.stdout.trim());
    await expectWhole(dir);
    // The next plain write works, and nothing of the others was collected.
    expect((await write(dir, "t8", "image 8")).code).toBe(0);
    expect(await layout.tags()).toHaveLength(9);
    await expectWhole(dir);
  }, 300_000);

  test("a flipped byte in a layer blob: reuse removes it with a warning naming it; the next write is whole", async () => {
    const good = join(work, "flip-good");
    const dir = join(work, "flip");
    expect((await write(good, "latest", "flip me")).code).toBe(0);
    expect((await write(dir, "latest", "flip me")).code).toBe(0); // same bytes, its own files
    const layout = await OciLayout.open(dir);
    const { manifest } = await (await openImageSource(`oci:${dir}:latest`)).image();
    const layer = manifest.manifest.layers[0]!.digest;
    await flipByte(layout.blobPath(layer));

    // Reading the image for reuse (as a build reads its previous image) finds it and removes it.
    const warnings: string[] = [];
    const src = await openImageSource(`oci:${dir}:latest`, { onWarning: (l) => warnings.push(l) });
    await expect(src.manifest()).rejects.toThrow(`blob ${layer} of image`);
    expect(warnings).toEqual([expect.stringContaining(`blob ${layer} was corrupt (its bytes hash to sha256:`)]);
    expect(existsSync(layout.blobPath(layer))).toBe(false);
    expect((await write(dir, "latest", "flip me")).code).toBe(0);
    await expectWhole(dir);

    // A copy into the layout that finds the blob there checks it first, and writes it again.
    await flipByte(layout.blobPath(layer));
    const sinkWarnings: string[] = [];
    const r = await copyImage(
      await openImageSource(`oci:${good}:latest`),
      await openImageSink(`oci:${dir}:again`, { onWarning: (l) => sinkWarnings.push(l) }),
    );
    expect(r.uploaded).toBe(1);
    expect(sinkWarnings).toEqual([expect.stringContaining(`blob ${layer} was corrupt`)]);
    await expectWhole(dir);
  }, 180_000);

  test("a flipped byte in a config: reading it fails naming the blob, and removes it", async () => {
    const dir = join(work, "flip-config");
    expect((await write(dir, "latest", "config")).code).toBe(0);
    const layout = await OciLayout.open(dir, { onWarning: () => {} });
    const m = await layout.resolve("latest");
    if (m.kind !== "manifest") throw new Error("not a manifest");
    const path = layout.blobPath(m.manifest.config.digest);
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace("amd64", "amd65"));
    await expect(layout.readConfig(m.manifest.config.digest)).rejects.toThrow(
      new RegExp(`blob ${m.manifest.config.digest} is corrupt \\(its bytes hash to sha256:[0-9a-f]{64}\\)`),
    );
    expect(existsSync(path)).toBe(false);
  });

  test("a writer killed mid-blob on a nearly full disk: its .tmp- file goes, and the next write fits", async () => {
    const disk = await smallDisk("3m");
    const dir = join(disk, "layout");
    expect((await write(dir, "first", "first")).code).toBe(0);
    const layout = await OciLayout.open(dir);
    // What a SIGKILLed writer leaves: a partial blob under a temp name with its (dead) pid.
    const partial = join(layout.blobDir, `.tmp-${deadPid()}-0123456789ab`);
    await writeFile(partial, Buffer.alloc(2_500_000, 1));
    const r = await write(dir, "second", "random:800000"); // gzip cannot shrink it
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(partial)).toBe(false);
    expect(await layout.tags()).toEqual(["first", "second"]);
    await expectWhole(dir);
  }, 180_000);

  test("a full disk: one line naming the layout, the blob and the room it needed; nothing half-written", async () => {
    const disk = await smallDisk("1m");
    const dir = join(disk, "layout");
    const layout = await OciLayout.create(dir);
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const err = await layout.putBlob(big).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^${dir}: writing blob: no space left on device \\(3\\.0 MiB needed, \\d+ (B|KiB) free on the filesystem of ${dir}\\)$`,
      ),
    );
    expect((await readdir(layout.blobDir)).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    expect(await layout.tags()).toEqual([]);
  });

  test("rewriting one tag again and again collects what no tag references any more", async () => {
    const dir = join(work, "gc");
    for (let i = 0; i < 7; i++) expect((await write(dir, "latest", `build ${i}`)).code).toBe(0);
    // Blobs of the previous writes are older than the last writer's start by less than the
    // margin here, so one more write after a pause collects them.
    await new Promise((r) => setTimeout(r, 2200));
    expect((await write(dir, "latest", "build 7")).code).toBe(0);
    const layout = await OciLayout.open(dir);
    const blobs = (await readdir(layout.blobDir)).filter((n) => !n.startsWith("."));
    // One image: manifest, config, one layer.
    expect(blobs).toHaveLength(3);
    await expectWhole(dir);
  }, 300_000);
});
