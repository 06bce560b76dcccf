import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { copyImage, imageConfig, OciLayout, openImageSink, openImageSource, writeLayer } from "../../oci/index.js";
import { placeImage, withBlobsFrom } from "./layout-repo.js";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-layout-repo-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A two-layer image in its own layout: "base" (like a run image) and "app" on top. */
async function sample(dir: string) {
  const layout = await OciLayout.create(dir);
  const base = await writeLayer([{ type: "file", path: "etc/os", size: 4, data: "deb\n" }], layout.blobDir);
  const app = await writeLayer([{ type: "file", path: "workspace/a", size: 2, data: "a\n" }], layout.blobDir);
  const config = imageConfig({ architecture: "amd64", diffIds: [base.diffId, app.diffId] });
  await layout.writeImage({ config, layers: [base, app], tag: "latest" });
  return { layout, base, app };
}

test("a sparse placement keeps the manifest digest and only the chosen layers; copy-out fills the rest", async () => {
  const { layout, base, app } = await sample(join(work, "src"));
  const source = await openImageSource(`oci:${layout.dir}:latest`);
  const repo = join(work, "repo");
  await placeImage(source, repo, "latest", (_, diffId) => diffId === app.diffId);
  const placed = await OciLayout.open(repo);
  expect((await placed.resolve("latest")).digest).toBe((await source.manifest()).digest);
  expect(await placed.hasBlob(base.digest)).toBe(false);
  expect(await placed.hasBlob(app.digest)).toBe(true);
  // Blobs of a local layout are hardlinked, not copied.
  expect((await stat(placed.blobPath(app.digest))).ino).toBe((await stat(layout.blobPath(app.digest))).ino);

  // Reading the sparse image alone fails on the missing blob; with its source as fallback,
  // a copy is whole and skopeo verifies every blob of it.
  await expect(
    copyImage(await openImageSource(`oci:${repo}:latest`), await openImageSink(`oci:${join(work, "bad")}`)),
  ).rejects.toThrow(/missing/);
  const out = join(work, "out");
  await copyImage(
    withBlobsFrom(await openImageSource(`oci:${repo}:latest`), [source]),
    await openImageSink(`oci:${out}:latest`),
  );
  execFileSync("skopeo", ["copy", "--quiet", `oci:${out}:latest`, `dir:${join(work, "check")}`]);
  expect(await (await OciLayout.open(out)).hasBlob(base.digest)).toBe(true);
});

test("placing with every layer links them all", async () => {
  const { layout, base, app } = await sample(join(work, "src2"));
  const repo = join(work, "repo2");
  await placeImage(await openImageSource(`oci:${layout.dir}:latest`), repo, "v1");
  const placed = await OciLayout.open(repo);
  for (const d of [base, app]) expect(await placed.hasBlob(d.digest)).toBe(true);
  expect(await placed.tags()).toEqual(["v1"]);
});
