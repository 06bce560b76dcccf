import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CnbError } from "@cnbkit/framework";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ensureMultiArchBaseImages, parseBaseTarget } from "./multi-arch.js";

const exec = promisify(execFile);
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-multi-base-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// Real base images, slim flavour: each arch's build image is its run rootfs, so the arm64 one
// takes one emulated debootstrap (~7 minutes the first time, shared with arm64.test.ts and the
// arm64 e2e tests) instead of two (~18); the index logic is the same for either flavour.
test("amd64 and arm64 base images behind one index per role, each arch read by skopeo", async () => {
  const out = join(work, "base");
  const { build, run } = await ensureMultiArchBaseImages({
    arches: ["amd64", "arm64"],
    output: out,
    flavor: "slim",
    onProgress: () => {},
  });
  const index = JSON.parse(await readFile(join(out, "index.json"), "utf8"));
  expect(
    index.manifests
      .map((m: { annotations: Record<string, string> }) => m.annotations["org.opencontainers.image.ref.name"])
      .sort(),
  ).toEqual(["build", "run"]);
  for (const r of [build, run]) {
    expect(r.images.map((i) => i.arch)).toEqual(["amd64", "arm64"]);
    const { stdout: raw } = await exec("skopeo", ["inspect", "--raw", r.ref]);
    expect(JSON.parse(raw).manifests.map((m: { platform: unknown }) => m.platform)).toEqual([
      { os: "linux", architecture: "amd64" },
      { os: "linux", architecture: "arm64", variant: "v8" },
    ]);
    for (const [arch, image] of [
      ["amd64", r.images[0]],
      ["arm64", r.images[1]],
    ] as const) {
      const { stdout } = await exec("skopeo", ["--override-arch", arch, "inspect", "--config", r.ref], {
        maxBuffer: 1 << 24,
      });
      const config = JSON.parse(stdout);
      expect(config.architecture).toBe(arch);
      // The rootfs, then the image's SBOM layer (io.buildpacks.base.sbom).
      expect(config.rootfs.diff_ids).toHaveLength(2);
      expect(config.rootfs.diff_ids[0]).toBe(image?.layer.diffId);
      expect(config.config.Labels["io.buildpacks.base.sbom"]).toBe(config.rootfs.diff_ids[1]);
    }
  }
}, 3_600_000);

test("a target cnbkit makes no base images for is one line naming the supported ones", () => {
  expect(parseBaseTarget("linux/arm64/v8", "--target")).toBe("arm64");
  const err = (() => {
    try {
      parseBaseTarget("linux/s390x", "--target");
    } catch (e) {
      return e as CnbError;
    }
  })();
  expect(err).toBeInstanceOf(CnbError);
  expect(err?.message).toBe('--target "linux/s390x" is not a target cnbkit makes base images for');
  expect(err?.hint).toBe("supported: linux/amd64, linux/arm64");
});
