import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { hostPlatform, imageConfig, OciLayout, openImageSource } from "../../oci/index.js";
import { builderPlatform, pinPlatform } from "./builder-platform.js";

// Builder images as indexes of per-arch images with no layers: what is checked is the index
// and the builder metadata label each arch's config carries.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-builder-platform-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const host = hostPlatform().architecture;
const other = host === "arm64" ? "amd64" : "arm64";

async function builder(name: string, arches: Record<string, string[]>, asIndex = true): Promise<string> {
  const layout = await OciLayout.create(join(root, name));
  const manifests = [];
  for (const [arch, bps] of Object.entries(arches)) {
    const buildpacks = bps.map((b) => ({ id: b.split("@")[0], version: b.split("@")[1] }));
    const config = imageConfig({
      architecture: arch,
      diffIds: [],
      config: { Labels: { "io.buildpacks.builder.metadata": JSON.stringify({ buildpacks }) } },
    });
    manifests.push(await layout.writeImage({ config, layers: [], ...(asIndex ? {} : { tag: "latest" }) }));
  }
  if (asIndex) await layout.writeIndex(manifests, "latest");
  return `oci:${layout.dir}:latest`;
}

describe("builderPlatform", () => {
  test("a multi-arch builder gives the asked platform, or this machine's", async () => {
    const ref = await builder("both", { amd64: ["a/node@1.0.0", "a/ca@0.1.0"], arm64: ["a/ca@0.1.0", "a/node@1.0.0"] });
    const src = await openImageSource(ref);
    expect(await builderPlatform(src, ref, { os: "linux", architecture: other })).toEqual({
      os: "linux",
      architecture: other,
    });
    expect((await builderPlatform(src, ref)).architecture).toBe(host);
  });

  test("a platform the index lacks is one line listing what it has", async () => {
    const ref = await builder("two", { amd64: ["a/node@1.0.0"], arm64: ["a/node@1.0.0"] });
    const err = await builderPlatform(await openImageSource(ref), ref, { os: "linux", architecture: "s390x" }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(CnbError);
    expect(err.message).toBe(`builder ${ref} has no linux/s390x image; its index has linux/amd64, linux/arm64`);
  });

  test("per-arch builders that disagree on buildpack ids or versions are refused", async () => {
    const ref = await builder("disagree", {
      amd64: ["a/node@1.0.0", "a/ca@0.1.0"],
      arm64: ["a/node@1.0.1", "a/ca@0.1.0"],
    });
    const err = await builderPlatform(await openImageSource(ref), ref, { os: "linux", architecture: "arm64" }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(CnbError);
    expect(err.message).toBe(
      `builder ${ref}: its per-arch builders disagree on buildpacks: linux/amd64 has a/ca@0.1.0, a/node@1.0.0; linux/arm64 has a/ca@0.1.0, a/node@1.0.1`,
    );
    const missing = await builder("missing", { amd64: ["a/node@1.0.0", "a/ca@0.1.0"], arm64: ["a/node@1.0.0"] });
    await expect(builderPlatform(await openImageSource(missing), missing)).rejects.toThrow(/disagree on buildpacks/);
  });

  test("a single-arch builder of another platform is refused; of the asked one, used", async () => {
    const ref = await builder("single", { amd64: ["a/node@1.0.0"] }, false);
    const src = await openImageSource(ref);
    expect(await builderPlatform(src, ref, { os: "linux", architecture: "amd64" })).toEqual({
      os: "linux",
      architecture: "amd64",
    });
    await expect(builderPlatform(src, ref, { os: "linux", architecture: "arm64" })).rejects.toThrow(
      `builder ${ref} is linux/amd64 only; it has no linux/arm64 image`,
    );
  });
});

test("pinPlatform makes an index read as one platform's image", async () => {
  const ref = await builder("pinned", { amd64: [], arm64: [] });
  const pinned = pinPlatform(await openImageSource(ref), { os: "linux", architecture: other });
  expect((await pinned.config()).architecture).toBe(other);
  expect((await pinned.image()).config.architecture).toBe(other);
  expect((await pinned.config({ os: "linux", architecture: host })).architecture).toBe(host);
});
