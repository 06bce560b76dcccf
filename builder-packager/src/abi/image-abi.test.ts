import { execFileSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import type { Digest } from "../oci/index.js";
import { layerAbi } from "./image-abi.js";

let work = "";
let blob = "";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-image-abi-"));
  await mkdir(join(work, "tree", "usr", "lib"), { recursive: true });
  await writeFile(join(work, "tree", "usr", "lib", "README"), "no ELF files here\n");
  blob = join(work, "layer.tar.gz");
  execFileSync("tar", ["-czf", blob, "-C", join(work, "tree"), "."]);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  if (work) await rm(work, { recursive: true, force: true });
});

test("a new entry in the abi cache prunes it to CNBKIT_CACHE_MAX_ABI, least recently used first, keeping the new one", async () => {
  const cacheDir = join(work, "abi");
  await mkdir(cacheDir);
  for (const [i, name] of ["old-a.json", "old-b.json"].entries()) {
    await writeFile(join(cacheDir, name), "{}");
    const t = new Date(Date.now() - (i + 1) * 60_000);
    await utimes(join(cacheDir, name), t, t);
  }
  vi.stubEnv("CNBKIT_CACHE_MAX_ABI", "2");
  const source = { blob: async () => createReadStream(blob) };
  const desc = {
    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
    digest: `sha256:${"c".repeat(64)}` as Digest,
    size: 1,
  };
  const facts = await layerAbi(source, desc, `sha256:${"d".repeat(64)}`, "all", "amd64", { cacheDir });
  expect(facts).toBeDefined();
  // The new entry and the more recently used of the two old ones stay.
  expect((await readdir(cacheDir)).filter((n) => !n.startsWith(".")).sort()).toEqual([
    `1-all-amd64-${"d".repeat(64)}.json`,
    "old-a.json",
  ]);
});
