import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerTest } from "../../../test/support/temp-dir.js";
import { type ImageConfig, type ImageManifest, MEDIA_TYPES, OciLayout, writeLayer } from "../oci/index.js";
import {
  extendedRunBlobDir,
  extendedRunImage,
  markNotRebasable,
  REBASABLE_LABEL,
  writeExtendedRunLayout,
} from "./extended-run-layout.js";

let dir: string;
tempDirPerTest("ext-layout", (d) => {
  dir = d;
});

const d = (c: string) => `sha256:${c.repeat(64)}` as const;
const base: { config: ImageConfig; manifest: ImageManifest } = {
  config: {
    architecture: "amd64",
    os: "linux",
    config: { User: "1000:1000", Labels: { "io.buildpacks.base.distro.name": "debian", [REBASABLE_LABEL]: "true" } },
    rootfs: { type: "layers", diff_ids: [d("1"), d("2")] },
    history: [{ created_by: "base" }],
  },
  manifest: {
    schemaVersion: 2,
    config: { mediaType: MEDIA_TYPES.config, digest: d("c"), size: 1 },
    layers: [
      { mediaType: MEDIA_TYPES.dockerLayerGzip, digest: d("a"), size: 10 },
      { mediaType: MEDIA_TYPES.layerGzip, digest: d("b"), size: 20 },
    ],
  },
};

test("the extended run image: the run image's layers, then the extension layer with the lifecycle's history line; not rebasable", async () => {
  const { blobs, dir: imageDir } = await extendedRunBlobDir(join(dir, "layers"), "img");
  const layer = await writeLayer([{ type: "file", path: "usr/bin/hello", size: 2, data: "hi", mode: 0o755 }], blobs);
  const image = extendedRunImage(base, {
    ...layer,
    createdBy: "RUN apt-get install -y hello",
    extensionIds: ["acme/a"],
  });
  expect(image.config.rootfs.diff_ids).toEqual([d("1"), d("2"), layer.diffId]);
  expect(image.config.config?.Labels?.[REBASABLE_LABEL]).toBe("false");
  expect(image.config.config?.User).toBe("1000:1000");
  // A base history that does not line up with its layers is one entry per layer.
  expect(image.config.history?.map((h) => h.created_by)).toEqual([
    undefined,
    undefined,
    "Layer: 'RUN apt-get install -y hello', Created by extension: acme/a",
  ]);
  expect(image.manifest.layers.map((l) => [l.mediaType, l.digest])).toEqual([
    [MEDIA_TYPES.layerGzip, d("a")],
    [MEDIA_TYPES.layerGzip, d("b")],
    [MEDIA_TYPES.layerGzip, layer.digest],
  ]);

  const manifest = await writeExtendedRunLayout(imageDir, image);
  // The exporter's FromLayoutPath: one directory under extended/run, an index of one manifest;
  // only the extension layer's blob is there (a missing blob is the run image's layer).
  expect(await readdir(join(dir, "layers", "extended", "run"))).toEqual(["img"]);
  const index = JSON.parse(await readFile(join(imageDir, "index.json"), "utf8"));
  expect(index.manifests).toEqual([manifest]);
  const present = (await readdir(join(imageDir, "blobs", "sha256"))).sort();
  expect(present).toEqual([manifest.digest, image.manifest.config.digest, layer.digest].map((x) => x.slice(7)).sort());
  const layout = await OciLayout.open(imageDir);
  const resolved = await layout.resolve();
  expect(resolved.kind === "manifest" && resolved.manifest.layers.length).toBe(3);

  // Made again from the same files, it is the same image.
  const again = await extendedRunBlobDir(join(dir, "layers"), "img");
  const layer2 = await writeLayer(
    [{ type: "file", path: "usr/bin/hello", size: 2, data: "hi", mode: 0o755 }],
    again.blobs,
  );
  const manifest2 = await writeExtendedRunLayout(
    again.dir,
    extendedRunImage(base, { ...layer2, createdBy: "RUN apt-get install -y hello", extensionIds: ["acme/a"] }),
  );
  expect(manifest2.digest).toBe(manifest.digest);
});

test("an app image's config gets io.buildpacks.rebasable=false; its other labels stay", async () => {
  const layout = await OciLayout.create(join(dir, "app"));
  const config = { ...base.config, config: { Labels: { a: "1", [REBASABLE_LABEL]: "true" } } };
  const configDesc = await layout.putBlob(Buffer.from(JSON.stringify(config)), { mediaType: MEDIA_TYPES.config });
  const labelled = await markNotRebasable(layout, { ...base.manifest, config: configDesc });
  const read = JSON.parse((await layout.readBlob(labelled.config.digest)).toString("utf8"));
  expect(read.config.Labels).toEqual({ a: "1", [REBASABLE_LABEL]: "false" });
  expect(labelled.layers).toEqual(base.manifest.layers);
});
