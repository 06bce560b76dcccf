/**
 * A run image extended with `cnbkit base extend` (jq from Debian's mirror, a label), used the
 * two ways ops teams use one: an app built on it (`--run-image`), and an app built on the
 * plain run image, then rebased onto it. Both answer over HTTP, carry jq, the extend label and
 * the extended image's SBOM, which `cnbkit sbom` writes under run-image/.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openImageSource } from "../../builder-packager/src/oci/image-store.js";
import { buildApp } from "../../builder-packager/src/platform/index.js";
import { extendImage } from "../../builder-packager/src/extensions/extend-image.js";
import { EXTENDED_LABEL } from "../../builder-packager/src/extensions/extend-record.js";
import { rebaseImage } from "../../builder-packager/src/platform/rebase.js";
import { exportSbom } from "../../builder-packager/src/platform/sbom.js";
import { unpackImage } from "../../builder-packager/src/container/unpack.js";
import { BASE_LAYOUT, fixtureApp, getFromImage, ROOT, useReferenceBuilder } from "./support.js";

const TIMEOUT = 1_200_000;
const HELLO = /^200 Hello from node-hello on Node v\d+/;

let work = "";
let extended = "";

const ref = useReferenceBuilder(TIMEOUT);
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-extended-"));
  extended = `oci:${join(work, "run-ext")}:run`;
  await extendImage({
    image: `oci:${BASE_LAYOUT}:run`,
    output: extended,
    apt: ["jq"],
    labels: ["org.opencontainers.image.vendor=Acme"],
  });
}, TIMEOUT);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function build(name: string, runImage?: string): Promise<string> {
  const app = await fixtureApp(name, {}, join(ROOT, "examples/apps/node-hello"));
  const image = `oci:${join(work, name, "image")}:latest`;
  const lines: string[] = [];
  await buildApp({
    appDir: app,
    builder: ref.builder,
    output: image,
    cacheDir: join(work, name, "cache"),
    bindings: ref.bindings,
    ...(runImage ? { runImage } : {}),
    onOutput: (l) => lines.push(l),
  }).catch((e: Error) => {
    throw new Error(`${e.message}\n${lines.slice(-60).join("\n")}`);
  });
  await rm(app, { recursive: true, force: true });
  return image;
}

/** What every app on the extended run image must show: jq in its filesystem, the labels, the SBOM. */
async function expectExtended(image: string): Promise<void> {
  const ext = await (await openImageSource(extended)).image();
  const app = await (await openImageSource(image)).image();
  const extDiffIds = ext.config.rootfs.diff_ids;
  expect(app.config.rootfs.diff_ids.slice(0, extDiffIds.length)).toEqual(extDiffIds);
  const labels = app.config.config?.Labels ?? {};
  expect(JSON.parse(labels[EXTENDED_LABEL] ?? "[]")).toEqual([
    { apt: ["jq"], labels: ["org.opencontainers.image.vendor"] },
  ]);
  expect(labels["io.buildpacks.base.sbom"]).toBe(ext.config.config?.Labels?.["io.buildpacks.base.sbom"]);
  const unpacked = await unpackImage(image);
  try {
    expect(existsSync(join(unpacked.rootfs, "usr/bin/jq"))).toBe(true);
  } finally {
    await unpacked.release();
  }
  const sbomDir = join(work, `sbom-${app.manifest.digest.slice(7, 19)}`);
  const files = await exportSbom(image, sbomDir);
  expect(files).toEqual(expect.arrayContaining(["run-image/sbom.cdx.json", "run-image/sbom.spdx.json"]));
  expect(files.some((f) => f.startsWith("launch/cnbkit_nodejs/"))).toBe(true);
  const cdx = JSON.parse(await readFile(join(sbomDir, "run-image/sbom.cdx.json"), "utf8"));
  expect(cdx.components.map((c: { name: string }) => c.name)).toContain("jq");
  expect(await getFromImage(image)).toMatch(HELLO);
}

describe.sequential("an extended run image", () => {
  test(
    "an app built on it (--run-image) answers, and carries jq, the extend label and its SBOM",
    async () => {
      await expectExtended(await build("ext-built", extended));
    },
    TIMEOUT,
  );

  test(
    "an app built on the plain run image and rebased onto it answers the same way",
    async () => {
      const image = await build("ext-rebased");
      const before = await (await openImageSource(image)).image();
      expect(before.config.config?.Labels?.[EXTENDED_LABEL]).toBeUndefined();
      await rebaseImage({ image, runImage: extended });
      await expectExtended(image);
    },
    TIMEOUT,
  );
});
