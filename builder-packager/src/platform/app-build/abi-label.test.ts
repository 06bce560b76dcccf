import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ABI_NEEDS_LABEL, parseAbiLabel, type AbiNeeds } from "../../abi/index.js";
import { imageConfig, jsonBlob, MEDIA_TYPES, OciLayout, openImageSource, writeLayer } from "../../oci/index.js";
import { withAbiNeeds } from "./abi-label.js";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-abi-label-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** An exported image as the lifecycle leaves it: a run layer, then an app layer holding this machine's /bin/true. */
async function exported(layout: OciLayout) {
  const run = await writeLayer([{ type: "file", path: "etc/os-release", size: 3, data: "x=1" }], layout.blobDir);
  const bin = await readFile("/bin/true");
  const app = await writeLayer(
    [{ type: "file", path: "layers/acme_tool/tool/bin/true", size: bin.length, data: bin, mode: 0o755 }],
    layout.blobDir,
  );
  const config = imageConfig({
    architecture: process.arch === "arm64" ? "arm64" : "amd64",
    config: {
      Labels: {
        "io.buildpacks.lifecycle.metadata": JSON.stringify({ runImage: { topLayer: run.diffId, reference: "x" } }),
      },
    },
    diffIds: [run.diffId, app.diffId],
  });
  const configBlob = jsonBlob(config, MEDIA_TYPES.config);
  await layout.putBlob(configBlob.bytes, { mediaType: MEDIA_TYPES.config });
  const manifest = jsonBlob(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: configBlob.descriptor,
      layers: [run, app].map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    },
    MEDIA_TYPES.manifest,
  );
  await layout.putBlob(manifest.bytes, { mediaType: MEDIA_TYPES.manifest });
  return manifest;
}

test("the exported image is labelled with what its app layers need, the same bytes every time", async () => {
  const layout = await OciLayout.create(join(work, "layout"));
  const manifest = await exported(layout);
  const source = await openImageSource(`oci:${join(work, "layout")}@${manifest.descriptor.digest}`);
  const labelled = await withAbiNeeds(layout, manifest, source);
  const again = await withAbiNeeds(layout, manifest, source);
  expect(again.descriptor.digest).toBe(labelled.descriptor.digest);
  const parsed = JSON.parse(labelled.bytes.toString("utf8"));
  const config = JSON.parse((await layout.readBlob(parsed.config.digest)).toString("utf8"));
  const needs = parseAbiLabel<AbiNeeds>(config.config.Labels[ABI_NEEDS_LABEL])!;
  expect(needs.sonames["libc.so.6"]).toBe("/layers/acme_tool/tool/bin/true");
  expect(needs.versions["libc.so.6"]?.GLIBC).toMatchObject({ file: "/layers/acme_tool/tool/bin/true" });
  expect(needs.versions["libc.so.6"]?.GLIBC?.version).toMatch(/^2\.\d+/);
  // The run layer is not the app's: nothing of it is read into the needs.
  expect(Object.keys(needs.sonames)).toEqual(["libc.so.6"]);
});
