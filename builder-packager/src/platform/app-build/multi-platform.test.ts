/**
 * What a multi-platform build checks before any work, each one line with nothing written: a
 * builder without one of the platforms, a foreign platform with no qemu, a builder that is
 * not an image. The builders are index layouts of bare configs: nothing is unpacked or run.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Descriptor, imageConfig, OciLayout } from "../../oci/index.js";
import { buildPlatforms } from "./multi-platform.js";

let work = "";
let app = "";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-multi-platform-"));
  app = join(work, "app");
  await mkdir(app);
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A builder index of bare per-arch configs that list the same buildpacks. */
async function fakeBuilder(name: string, arches: string[]): Promise<string> {
  const layout = await OciLayout.create(join(work, name));
  const manifests: Descriptor[] = [];
  const metadata = JSON.stringify({ buildpacks: [{ id: "cnbkit/nodejs", version: "0.1.0" }] });
  for (const architecture of arches) {
    const config = imageConfig({
      architecture,
      config: { Labels: { "io.buildpacks.builder.metadata": metadata } },
      diffIds: [],
    });
    const d = await layout.writeImage({ config, layers: [] });
    manifests.push({ ...d, platform: { os: "linux", architecture } });
  }
  await layout.writeIndex(manifests, "latest");
  return `oci:${layout.dir}:latest`;
}

const linux = (architecture: string) => ({ os: "linux", architecture });

test("a platform the builder lacks is one line naming what it has; nothing is written", async () => {
  const builder = await fakeBuilder("builder-2", ["amd64", "arm64"]);
  const output = join(work, "out-lacks");
  const err = await buildPlatforms({ appDir: app, builder, output: `oci:${output}` }, [
    linux("amd64"),
    linux("s390x"),
  ]).catch((e: Error) => e);
  expect(String(err)).toMatch(
    /^CnbError: builder oci:.*:latest has no linux\/s390x image; its index has linux\/amd64, linux\/arm64$/,
  );
  expect(existsSync(output)).toBe(false);
});

test("a foreign platform with no qemu for it is one line before any build; nothing is written", async () => {
  const builder = await fakeBuilder("builder-riscv", ["amd64", "arm64", "riscv64"]);
  const output = join(work, "out-noqemu");
  const cache = join(work, "cache");
  const before = process.env.CNBKIT_CACHE;
  process.env.CNBKIT_CACHE = cache; // an empty cnbkit cache: no qemu for riscv64 there
  try {
    const err = await buildPlatforms({ appDir: app, builder, output: `oci:${output}`, cnbkitCache: cache }, [
      linux("amd64"),
      linux("riscv64"),
    ]).catch((e: Error) => e);
    expect(String(err)).toMatch(
      /^CnbError: --platform linux\/riscv64(:| is linux\/riscv64 and this machine \w+:) .*no qemu/,
    );
  } finally {
    if (before === undefined) delete process.env.CNBKIT_CACHE;
    else process.env.CNBKIT_CACHE = before;
  }
  expect(existsSync(output)).toBe(false);
});

test("a builder root filesystem (not an image) is one line", async () => {
  const err = await buildPlatforms({ appDir: app, builder: join(work, "rootfs"), output: `oci:${join(work, "o")}` }, [
    linux("amd64"),
    linux("arm64"),
  ]).catch((e: Error) => e);
  expect(String(err)).toMatch(/^CnbError: builder .*rootfs: cannot read it as an image/);
});

test("--cache-image with several platforms is one line (one cache image cannot hold two platforms)", async () => {
  const builder = await fakeBuilder("builder-cache", ["amd64", "arm64"]);
  const err = await buildPlatforms(
    { appDir: app, builder, output: `oci:${join(work, "o2")}`, cacheImage: "127.0.0.1:5000/app-cache" },
    [linux("amd64"), linux("arm64")],
  ).catch((e: Error) => e);
  expect(String(err)).toMatch(
    /^CnbError: --cache-image 127\.0\.0\.1:5000\/app-cache holds one platform's cache; with several --platform use --cache-dir/,
  );
});

test("buildOrder: this machine's platform first (it produces the arch-neutral layers), then the rest as asked", async () => {
  const { buildOrder } = await import("./multi-platform.js");
  const p = (architecture: string) => ({ os: "linux", architecture });
  const host = p("amd64");
  expect(buildOrder([p("arm64"), p("amd64")], host)).toEqual([p("amd64"), p("arm64")]);
  expect(buildOrder([p("amd64"), p("arm64")], host)).toEqual([p("amd64"), p("arm64")]);
  // No native one: the order asked, the first of which produces.
  expect(buildOrder([p("arm64"), p("riscv64")], host)).toEqual([p("arm64"), p("riscv64")]);
});
