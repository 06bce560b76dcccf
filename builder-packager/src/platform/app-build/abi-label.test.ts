import { cp, link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ABI_NEEDS_LABEL, parseAbiLabel, type AbiNeeds } from "../../abi/index.js";
import { imageConfig, jsonBlob, MEDIA_TYPES, OciLayout, openImageSource, writeLayer } from "../../oci/index.js";
import { dirAbi, withAbiNeeds } from "./abi-label.js";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-abi-label-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** An exported image as the lifecycle leaves it: a run layer, then an app layer holding this machine's /bin/true. */
async function exported(layout: OciLayout, lifecycleLabel: (app: string) => object = () => ({})) {
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
        "io.buildpacks.lifecycle.metadata": JSON.stringify({
          runImage: { topLayer: run.diffId, reference: "x" },
          ...lifecycleLabel(app.diffId),
        }),
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

test("a layer the exporter just wrote is read from its directory once the layer check proved it, with the label the blob gives", async () => {
  let appDiffId = "";
  const label = (app: string) => {
    appDiffId = app;
    return { buildpacks: [{ key: "acme/tool", version: "1", layers: { tool: { sha: app } } }] };
  };
  const fromBlob = await OciLayout.create(join(work, "from-blob"));
  const m1 = await exported(fromBlob, label);
  const blobSource = await openImageSource(`oci:${join(work, "from-blob")}@${m1.descriptor.digest}`);
  const viaBlob = await withAbiNeeds(fromBlob, m1, blobSource);
  // The same layer as its directory in the view; a different binary there shows which was read.
  const dir = join(work, "layers");
  const layers = { dir, proven: Promise.resolve(new Set([appDiffId])) };
  await mkdir(join(dir, "acme_tool", "tool", "bin"), { recursive: true });
  await cp("/bin/true", join(dir, "acme_tool", "tool", "bin", "true"));
  const fromDir = await OciLayout.create(join(work, "from-dir"));
  const m2 = await exported(fromDir, label);
  const dirSource = await openImageSource(`oci:${join(work, "from-dir")}@${m2.descriptor.digest}`);
  const viaDir = await withAbiNeeds(fromDir, m2, dirSource, layers);
  const labelOf = async (layout: OciLayout, m: typeof viaDir) => {
    const config = JSON.parse((await layout.readBlob(JSON.parse(m.bytes.toString("utf8")).config.digest)).toString());
    return config.config.Labels[ABI_NEEDS_LABEL] as string;
  };
  expect(await labelOf(fromDir, viaDir)).toBe(await labelOf(fromBlob, viaBlob));
  await writeFile(join(dir, "acme_tool", "tool", "bin", "true"), Buffer.alloc(128, 0x7f));
  const needs = parseAbiLabel<AbiNeeds>(await labelOf(fromDir, await withAbiNeeds(fromDir, m2, dirSource, layers)))!;
  expect(needs.sonames).toEqual({}); // not ELF now: the directory was read
  // A dir the layer check did not prove (it no longer makes the layer's tar) is not read: the blob is.
  const unproven = { dir, proven: Promise.resolve(new Set<string>()) };
  expect(await labelOf(fromDir, await withAbiNeeds(fromDir, m2, dirSource, unproven))).toBe(
    await labelOf(fromBlob, viaBlob),
  );
  // A refusal by the layer check is the label's failure too.
  const refused = { dir, proven: Promise.reject(new Error("a secret in layer acme/tool:tool")) };
  await expect(withAbiNeeds(fromDir, m2, dirSource, refused)).rejects.toThrow("a secret");
});

test("dirAbi reads ELF files as the blob scan does: symlinks not followed, small files skipped, the arch's alone", async () => {
  const dir = join(work, "walk");
  await mkdir(join(dir, "b"), { recursive: true });
  await cp("/bin/true", join(dir, "b", "true"));
  await link(join(dir, "b", "true"), join(dir, "c-link"));
  await symlink("b/true", join(dir, "a-sym"));
  await writeFile(join(dir, "small"), "\x7fELF");
  const abi = await dirAbi(dir, "/layers/x/y", process.arch === "arm64" ? "arm64" : "amd64");
  // A followed a-sym would sort first.
  expect(abi.sonames["libc.so.6"]).toBe("/layers/x/y/b/true");
  expect(await dirAbi(dir, "/l", "riscv64")).toEqual({ provides: {}, versions: {}, sonames: {} });
});
