/**
 * `cnbkit rebase` of an image index: each platform onto the same platform of the new run
 * image, a new index, the tag moved once; a platform the new run image lacks fails the rebase
 * naming it, tag unmoved. The images are synthetic (layers of a few bytes), in one OCI layout.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Descriptor, type Digest, imageConfig, OciLayout, openImageSource } from "../oci/index.js";
import { rebaseIndex } from "./rebase-index.js";

const LAYER = "application/vnd.oci.image.layer.v1.tar";
let work = "";
let layout: OciLayout;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-rebase-index-"));
  layout = await OciLayout.create(join(work, "images"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const layer = (text: string) => layout.putBlob(Buffer.from(text), { mediaType: LAYER });

/** An index of one image per arch, each with `layers(arch)` and `labels(arch, layers)`. */
async function index(
  tag: string,
  arches: string[],
  layers: (arch: string) => Promise<Descriptor[]>,
  labels: (arch: string, layers: Descriptor[]) => Record<string, string> = () => ({}),
): Promise<void> {
  const manifests: Descriptor[] = [];
  for (const architecture of arches) {
    const ls = await layers(architecture);
    const config = imageConfig({
      architecture,
      config: { Labels: labels(architecture, ls) },
      diffIds: ls.map((l) => l.digest as Digest),
    });
    manifests.push({ ...(await layout.writeImage({ config, layers: ls })), platform: { os: "linux", architecture } });
  }
  await layout.writeIndex(manifests, tag);
}

const run = (version: string) => async (arch: string) => [await layer(`run ${version} ${arch}`)];
const ref = (tag: string) => `oci:${layout.dir}:${tag}`;

beforeAll(async () => {
  await index("run-1", ["amd64", "arm64"], run("1"));
  await index("run-2", ["amd64", "arm64"], run("2"));
  await index("run-amd64-only", ["amd64"], run("3"));
  await index(
    "app",
    ["amd64", "arm64"],
    async (arch) => [...(await run("1")(arch)), await layer(`app ${arch}`)],
    (_arch, ls) => ({
      "io.buildpacks.lifecycle.metadata": JSON.stringify({
        runImage: { topLayer: ls[0]!.digest, image: ref("run-1") },
      }),
    }),
  );
});

test("each platform goes onto the same platform of the new run image; a new index takes the tag", async () => {
  const before = await layout.descriptor("app");
  const r = await rebaseIndex({ image: ref("app"), runImage: ref("run-2"), output: ref("app-2") });
  expect(r?.previousDigest).toBe(before.digest);
  expect(r?.platforms.map((p) => p.platform.architecture)).toEqual(["amd64", "arm64"]);
  expect((await layout.descriptor("app-2")).digest).toBe(r?.digest);
  const source = await openImageSource(ref("app-2"));
  for (const arch of ["amd64", "arm64"]) {
    const { config } = await source.image({ os: "linux", architecture: arch });
    const newRun = (await layer(`run 2 ${arch}`)).digest;
    const app = (await layer(`app ${arch}`)).digest;
    expect([config.architecture, ...config.rootfs.diff_ids]).toEqual([arch, newRun, app]);
    const meta = JSON.parse(config.config?.Labels?.["io.buildpacks.lifecycle.metadata"] ?? "{}");
    expect(meta.runImage.topLayer).toBe(newRun);
  }
  // The input is left as it was.
  expect((await layout.descriptor("app")).digest).toBe(before.digest);
});

test("a run image without one of the platforms fails naming it; the tag does not move", async () => {
  const before = await layout.descriptor("app");
  const err = await rebaseIndex({ image: ref("app"), runImage: ref("run-amd64-only") }).catch((e: Error) => e);
  expect(String(err)).toMatch(/^CnbError: linux\/arm64: /);
  expect((await layout.descriptor("app")).digest).toBe(before.digest);
});

test("a single image is not an index: undefined, for rebaseImage to take", async () => {
  const one = await layout.writeImage({
    config: imageConfig({ architecture: "amd64", diffIds: [] }),
    layers: [],
    tag: "single",
  });
  expect(one.digest).toMatch(/^sha256:/);
  expect(await rebaseIndex({ image: ref("single") })).toBeUndefined();
});

test("signed: each platform sealed by digest, then the index by digest, and only then the tag moves; a failed index seal leaves the tag", async () => {
  await rebaseIndex({ image: ref("app"), runImage: ref("run-1"), output: ref("signed") });
  const before = await layout.descriptor("signed");
  const events: string[] = [];
  const tagNow = async () =>
    (await layout.descriptor("signed")).digest === before.digest ? "tag unmoved" : "tag moved";
  const r = await rebaseIndex({
    image: ref("signed"),
    runImage: ref("run-2"),
    seal: async (p) => {
      // Readable by digest at sealing time, the tag not yet moved.
      await openImageSource(`oci:${layout.dir}@${p.digest}`).then((s) => s.manifest());
      events.push(`platform ${p.digest.slice(7, 15)}, ${await tagNow()}`);
    },
    sealIndex: async (i) => {
      expect(i.previous.digest).toBe(before.digest);
      expect(i.platforms.map((p) => p.platform.architecture)).toEqual(["amd64", "arm64"]);
      const top = await (await openImageSource(`oci:${layout.dir}@${i.digest}`)).manifest();
      expect(top.kind).toBe("index");
      events.push(`index, ${await tagNow()}`);
    },
  });
  const platforms = r?.platforms.map((p) => `platform ${p.digest.slice(7, 15)}, tag unmoved`) ?? [];
  expect(events).toEqual([...platforms, "index, tag unmoved"]);
  expect((await layout.descriptor("signed")).digest).toBe(r?.digest);

  const failed = await rebaseIndex({
    image: ref("signed"),
    runImage: ref("run-1"),
    seal: async () => {},
    sealIndex: async () => {
      throw new Error("signing failed");
    },
  }).catch((e: Error) => e);
  expect(String(failed)).toMatch(/signing failed/);
  expect((await layout.descriptor("signed")).digest).toBe(r?.digest);
});
