import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { imageConfig, MEDIA_TYPES, REF_NAME_ANNOTATION } from "./image.js";
import { layerFromDir, writeLayer } from "./layer.js";
import { OciLayout } from "./layout.js";
import { exportLayoutTar, importLayoutTar } from "./layout-archive.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "oci-layout-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Writes a two-layer image (a buildpack dir and a /workspace owned by 1000) into a layout. */
async function writeSample(dir: string, tag: string) {
  const src = join(work, `src-${tag}`);
  await mkdir(join(src, "bin"), { recursive: true });
  await writeFile(join(src, "bin", "build"), "#!/bin/sh\n", { mode: 0o755 });
  await writeFile(join(src, "buildpack.toml"), 'api = "0.12"\n');
  const layout = await OciLayout.create(dir);
  const bp = await layerFromDir(src, { prefix: "cnb/buildpacks/acme_x/1.0.0" }, layout.blobDir);
  const ws = await writeLayer(
    [
      { type: "dir", path: "workspace", uid: 1000, gid: 1000, mode: 0o775 },
      { type: "file", path: "workspace/hello.txt", size: 3, data: "hi\n", uid: 1000, gid: 1000 },
    ],
    layout.blobDir,
  );
  const config = imageConfig({
    architecture: "amd64",
    diffIds: [bp.diffId, ws.diffId],
    config: { User: "1000:1000", Env: ["PATH=/usr/bin"], WorkingDir: "/workspace", Labels: { "io.x": "y" } },
  });
  const desc = await layout.writeImage({ config, layers: [bp, ws], tag });
  return { layout, desc, bp, ws };
}

describe("OciLayout", () => {
  test("skopeo and umoci read an image we write; modes and owners survive", async () => {
    const dir = join(work, "img");
    const { desc } = await writeSample(dir, "v1");
    const inspect = JSON.parse(execFileSync("skopeo", ["inspect", `oci:${dir}:v1`], { encoding: "utf8" }));
    expect(inspect.Digest).toBe(desc.digest);
    expect(inspect.Architecture).toBe("amd64");
    expect(inspect.Labels).toEqual({ "io.x": "y" });
    expect(inspect.Layers).toHaveLength(2);
    expect(inspect.Created).toBe("1980-01-01T00:00:01Z");

    const bundle = join(work, "bundle");
    execFileSync("umoci", ["unpack", "--image", `${dir}:v1`, bundle], { stdio: "pipe" });
    const rootfs = join(bundle, "rootfs");
    const build = await stat(join(rootfs, "cnb/buildpacks/acme_x/1.0.0/bin/build"));
    expect(build.mode & 0o7777).toBe(0o755);
    expect(build.uid).toBe(0);
    const toml = await stat(join(rootfs, "cnb/buildpacks/acme_x/1.0.0/buildpack.toml"));
    expect(toml.mode & 0o7777).toBe(0o644);
    const ws = await stat(join(rootfs, "workspace"));
    expect([ws.uid, ws.gid, ws.mode & 0o7777]).toEqual([1000, 1000, 0o775]);
    expect(await readFile(join(rootfs, "workspace/hello.txt"), "utf8")).toBe("hi\n");
    const runtime = JSON.parse(await readFile(join(bundle, "config.json"), "utf8"));
    expect(runtime.process.user).toMatchObject({ uid: 1000, gid: 1000 });
    expect(runtime.process.cwd).toBe("/workspace");
  });

  test("with no tag, the one image is found beside cosign's signature and attestation entries", async () => {
    const { layout, desc, ws } = await writeSample(join(work, "signed"), "latest");
    const hex = desc.digest.slice(7);
    const other = await layout.writeImage({
      config: imageConfig({ architecture: "", diffIds: [ws.diffId] }),
      layers: [ws],
    });
    await layout.tag(other, `sha256-${hex}.sig`);
    await layout.tag(other, `sha256-${hex}.att`);
    expect((await layout.descriptor()).digest).toBe(desc.digest);
    await layout.tag(other, "v2");
    await expect(layout.descriptor()).rejects.toThrow(/the layout holds 2 images; name one with :TAG/);
  });

  test("the same input gives the same manifest digest in two layouts; tags replace, resolve finds", async () => {
    const a = await writeSample(join(work, "same-a"), "t");
    const b = await writeSample(join(work, "same-b"), "t");
    expect(a.desc.digest).toBe(b.desc.digest);
    const again = await a.layout.writeImage({
      config: imageConfig({ architecture: "amd64", diffIds: [a.ws.diffId] }),
      layers: [a.ws],
      tag: "t",
    });
    expect(await a.layout.tags()).toEqual(["t"]);
    const resolved = await a.layout.resolve("t");
    expect(resolved.kind).toBe("manifest");
    expect(resolved.digest).toBe(again.digest);
    await expect(a.layout.resolve("nope")).rejects.toThrow(/no image tagged "nope"/);
    await expect(a.layout.tag(again, "bad tag!")).rejects.toThrow(/tag "bad tag!" may only contain/);
  });

  test("an index of two platforms reads back with skopeo", async () => {
    const dir = join(work, "multi");
    const { layout, desc, ws } = await writeSample(dir, "amd");
    const arm = await layout.writeImage({
      config: imageConfig({ architecture: "arm64", diffIds: [ws.diffId] }),
      layers: [ws],
    });
    const idx = await layout.writeIndex([desc, arm], "multi");
    const raw = JSON.parse(execFileSync("skopeo", ["inspect", "--raw", `oci:${dir}:multi`], { encoding: "utf8" }));
    expect(raw.mediaType).toBe(MEDIA_TYPES.index);
    expect(raw.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture)).toEqual([
      "amd64",
      "arm64",
    ]);
    const armInspect = JSON.parse(
      execFileSync("skopeo", ["--override-arch", "arm64", "inspect", `oci:${dir}:multi`], { encoding: "utf8" }),
    );
    // skopeo reports the index digest, and the arm64 image's architecture and layers
    expect(armInspect.Digest).toBe(idx.digest);
    expect(armInspect.Architecture).toBe("arm64");
    expect(armInspect.Layers).toEqual([ws.digest]);
    const index = await layout.index();
    expect(index.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === "multi")?.digest).toBe(idx.digest);
  });

  test("putBlob refuses content that does not match the expected digest and leaves nothing", async () => {
    const layout = await OciLayout.create(join(work, "verify"));
    const wrong = `sha256:${"0".repeat(64)}`;
    await expect(layout.putBlob(Buffer.from("abc"), { digest: wrong })).rejects.toThrow(/expected sha256:0000/);
    expect(await readdir(layout.blobDir)).toEqual([]);
  });

  test("export to a tar is reproducible; import restores a layout skopeo can read", async () => {
    const a = await writeSample(join(work, "exp-a"), "x");
    await writeSample(join(work, "exp-b"), "x");
    await exportLayoutTar(a.layout.dir, join(work, "a.cnb"));
    await exportLayoutTar(join(work, "exp-b"), join(work, "b.cnb"));
    expect(await readFile(join(work, "a.cnb"))).toEqual(await readFile(join(work, "b.cnb")));
    const listing = execFileSync("tar", ["-tf", join(work, "a.cnb")], { encoding: "utf8" })
      .trim()
      .split("\n");
    expect(listing.slice(0, 3)).toEqual([
      "blobs/",
      "blobs/sha256/",
      expect.stringMatching(/^blobs\/sha256\/[a-f0-9]{64}$/),
    ]);
    expect(listing).toContain("index.json");
    expect(listing).toContain("oci-layout");

    const imported = await importLayoutTar(join(work, "a.cnb"), join(work, "imported"));
    expect((await imported.resolve("x")).digest).toBe(a.desc.digest);
    const inspect = JSON.parse(execFileSync("skopeo", ["inspect", `oci:${imported.dir}:x`], { encoding: "utf8" }));
    expect(inspect.Digest).toBe(a.desc.digest);
    await expect(importLayoutTar(join(work, "a.cnb"), join(work, "imported"))).rejects.toThrow(/already exists/);
  });

  test("opening a directory that is not a layout is a one-line error", async () => {
    await mkdir(join(work, "plain"));
    await expect(OciLayout.open(join(work, "plain"))).rejects.toThrow(/plain: not an OCI image layout/);
  });
});
