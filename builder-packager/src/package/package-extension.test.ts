import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { importLayoutTar } from "../oci/index.js";
import { BUILDPACKAGE_METADATA_LABEL, EXTENSION_LAYERS_LABEL, packageExtension } from "./index.js";
import { skopeoInspect, umociUnpack } from "./test-fixtures.js";

let root: string;
let ext: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-package-ext-"));
  ext = join(root, "ext");
  await mkdir(join(ext, "bin"), { recursive: true });
  await writeFile(
    join(ext, "extension.toml"),
    'api = "0.10"\n[extension]\nid = "acme/curl"\nversion = "2.1.0"\nname = "Curl"\nhomepage = "https://example.com/curl"\n',
  );
  await writeFile(
    join(ext, "bin", "generate"),
    '#!/bin/sh\necho "FROM example.com/run:2" > "$CNB_OUTPUT_DIR/run.Dockerfile"\n',
  );
  await chmod(join(ext, "bin", "generate"), 0o700);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test("a prebuilt extension packages into a .cnb with pack's labels and one layer at /cnb/extensions/<id_>/<version>", async () => {
  const file = join(root, "out", "curl.cnb");
  const r = await packageExtension({ dir: ext, format: "file", output: file, targets: ["linux/amd64"] });
  expect(r).toMatchObject({ id: "acme/curl", version: "2.1.0", targets: ["linux/amd64"] });
  const layout = join(root, "layout");
  await importLayoutTar(file, layout);
  const info = await skopeoInspect(`oci:${layout}:latest`);
  expect(info.Architecture).toBe("amd64");
  expect(JSON.parse(info.Labels[BUILDPACKAGE_METADATA_LABEL] ?? "")).toEqual({
    id: "acme/curl",
    name: "Curl",
    version: "2.1.0",
    homepage: "https://example.com/curl",
    stacks: null,
  });
  const layers = JSON.parse(info.Labels[EXTENSION_LAYERS_LABEL] ?? "");
  expect(Object.keys(layers)).toEqual(["acme/curl"]);
  expect(layers["acme/curl"]["2.1.0"]).toEqual({ api: "0.10", layerDiffID: expect.stringMatching(/^sha256:/) });
  expect(info.Layers).toHaveLength(1);
  const rootfs = await umociUnpack(layout, "latest", join(root, "bundle"));
  expect((await stat(join(rootfs, "cnb/extensions/acme_curl/2.1.0/bin/generate"))).mode & 0o777).toBe(0o755);
  expect((await stat(join(rootfs, "cnb/extensions/acme_curl/2.1.0/extension.toml"))).isFile()).toBe(true);
});

test("several targets as --format file: one .cnb per target, named as pack names them, each for its arch", async () => {
  const r = await packageExtension({
    dir: ext,
    format: "file",
    output: join(root, "multi", "curl.cnb"),
    targets: ["linux/amd64", "linux/arm64"],
  });
  expect(r.files).toEqual([join(root, "multi", "curl-linux-amd64.cnb"), join(root, "multi", "curl-linux-arm64.cnb")]);
  const arm = join(root, "arm-layout");
  await importLayoutTar(r.files?.[1] as string, arm);
  const info = await skopeoInspect(`oci:${arm}:latest`);
  expect(info.Architecture).toBe("arm64");
  expect(Object.keys(JSON.parse(info.Labels[EXTENSION_LAYERS_LABEL] ?? ""))).toEqual(["acme/curl"]);
});

test("an extension dir without bin/generate or src/index.ts is one line", async () => {
  const bare = join(root, "bare");
  await mkdir(bare);
  await writeFile(join(bare, "extension.toml"), 'api = "0.10"\n[extension]\nid = "acme/bare"\nversion = "1.0.0"\n');
  await expect(
    packageExtension({ dir: bare, format: "file", output: join(root, "bare.cnb"), targets: ["linux/amd64"] }),
  ).rejects.toThrow(`${bare}: an extension needs bin/generate, or src/index.ts that calls extension({ generate })`);
});
