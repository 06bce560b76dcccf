import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { RegistryClient } from "../../../oci/index.js";
import { startRegistry, type TestRegistry } from "../../../oci/test-registry.js";
import { CACHE_METADATA, emptyCache, pullCacheImage, pushCacheImage } from "./cache-image.js";

let registry: TestRegistry;
let work: string;

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), "cnbkit-cache-image-"));
});
afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A volume cache dir with one "tar" per content (named by its sha256, as the lifecycle names them) and metadata. */
async function volumeCache(name: string, contents: string[], metadata: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, "committed"), { recursive: true });
  for (const c of contents) {
    await writeFile(join(dir, "committed", `sha256:${createHash("sha256").update(c).digest("hex")}.tar`), c);
  }
  await writeFile(join(dir, "committed", CACHE_METADATA), metadata);
  return dir;
}

async function committed(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const f of (await readdir(join(dir, "committed"))).sort()) {
    files[f] = await readFile(join(dir, "committed", f), "utf8");
  }
  return files;
}

test("a cache image that is not there is an empty cache; what is pushed is pulled back byte for byte, in the lifecycle's layout", async () => {
  const image = `${registry.host}/app-cache`;
  const lines: string[] = [];
  const fresh = join(work, "fresh");
  await mkdir(fresh);
  expect((await pullCacheImage(image, fresh, (l) => lines.push(l))).layers.size).toBe(0);
  expect(await readdir(join(fresh, "committed"))).toEqual([]);

  const built = await volumeCache("built", ["layer one", "layer two"], '{"buildpacks":[]}');
  const pushed = await pushCacheImage(emptyCache(image), built, work);
  expect((await new RegistryClient(registry.host).headManifest("app-cache", "latest"))?.digest).toBe(pushed);

  // Another machine: one of the two layers already there, a stale one to drop.
  const other = await volumeCache("other", ["layer one", "stale layer"], "{}");
  const pulled = await pullCacheImage(image, other, (l) => lines.push(l));
  expect(await committed(other)).toEqual(await committed(built));
  expect(pulled.layers.size).toBe(2);
  expect(lines).toEqual([`Restored the cache image ${image}: 1 of 2 layers downloaded, the rest were here`]);

  // Pushed again unchanged: the same manifest (its layers referenced, not recompressed).
  expect(await pushCacheImage(pulled, other, work)).toBe(pushed);
});
