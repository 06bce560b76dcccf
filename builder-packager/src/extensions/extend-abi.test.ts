import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ABI_PROVIDES_LABEL } from "../abi/index.js";
import { ensureBaseImages } from "../base/index.js";
import { type ImageConfig, openImageSource, type ResolvedImage } from "../oci/index.js";
import { recordProvides } from "./extend-abi.js";

let run: ResolvedImage;
let build: ResolvedImage;
let runSource: Awaited<ReturnType<typeof openImageSource>>;
let blobs = "";

beforeAll(async () => {
  const images = await ensureBaseImages({ onProgress: () => {} });
  runSource = await openImageSource(images.run.ref);
  run = await runSource.image();
  build = await (await openImageSource(images.build.ref)).image();
  blobs = await mkdtemp(join(tmpdir(), "cnbkit-extend-abi-"));
}, 3_600_000);
afterAll(async () => {
  if (blobs) await rm(blobs, { recursive: true, force: true });
});

/** The config with its io.cnbkit.base.abi label taken off, as an image someone else made would be. */
function unlabelled(image: ResolvedImage): ImageConfig {
  const { [ABI_PROVIDES_LABEL]: _, ...labels } = image.config.config?.Labels ?? {};
  return { ...image.config, config: { ...image.config.config, Labels: labels } };
}

test("an extended run image gets the io.cnbkit.base.abi label its layers say (the same as base create's)", async () => {
  const config = unlabelled(run);
  await recordProvides(config, runSource, run.manifest.manifest.layers, [], blobs);
  expect(config.config?.Labels?.[ABI_PROVIDES_LABEL]).toBe(run.config.config?.Labels?.[ABI_PROVIDES_LABEL]);
}, 300_000);

test("a build image (CNB_STACK_ID set) is left without it", async () => {
  const config = unlabelled(build);
  await recordProvides(config, runSource, build.manifest.manifest.layers, [], blobs);
  expect(config.config?.Labels?.[ABI_PROVIDES_LABEL]).toBeUndefined();
});
