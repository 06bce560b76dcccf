/** When an emulated build's buildpacks may run on this machine's Node, and what is mounted for it. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { hostPlatform } from "../../oci/index.js";
import { nativeNodeRuntime } from "./native-node-runtime.js";

const host = hostPlatform().architecture;
const target = host === "amd64" ? "arm64" : "amd64";
const RUNTIME = "/cnb/buildpacks/cnbkit_node-runtime/26.10.0/bin/node";
const DIFF_ID = `sha256:${"a".repeat(64)}`;
let dir = "";
let rootfs = "";
let env: Record<string, string> = {};
let labels: Record<string, string> = {};

/** A cnbkit buildpack's bundle: one that copies its Node into exec.d layers, knowing the target's or not. */
async function buildpack(name: string, main: string, chunk?: string) {
  const lib = join(rootfs, "cnb/buildpacks", name, "1.0.0/lib");
  await mkdir(join(lib, "chunks"), { recursive: true });
  await writeFile(join(lib, "main.cjs"), main);
  if (chunk !== undefined) await writeFile(join(lib, "chunks/chunk-X.js"), chunk);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-native-node-"));
  rootfs = join(dir, "rootfs");
  env = { CNBKIT_CACHE: join(dir, "cache") };
  labels = {
    "io.buildpacks.buildpack.layers": JSON.stringify({
      "cnbkit/node-runtime": { "26.10.0": { layerDiffID: DIFF_ID } },
    }),
  };
  await mkdir(join(rootfs, RUNTIME, ".."), { recursive: true });
  await writeFile(join(rootfs, RUNTIME), "the target's Node");
  await mkdir(join(dir, `cache/node-runtime/26.10.0-${host}/bin`), { recursive: true });
  await writeFile(join(dir, `cache/node-runtime/26.10.0-${host}/bin/node`), "this machine's Node");
  await writeFile(join(dir, `cache/node-runtime/26.10.0-${target}.diffid`), DIFF_ID);
  await buildpack("acme_new", "require('./chunks/chunk-X.js')", "'.cnbkit-exec-d' + '.cnbkit-target-node'");
  await buildpack("acme_plain", "module.exports = {}");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("cnbkit's runtime and bundles that know the target's Node: this machine's Node runs them, the target's sits beside it", async () => {
  const got = await nativeNodeRuntime(rootfs, labels, target, env);
  expect(got.ok).toBe(true);
  if (!got.ok) return;
  expect(got.mounts.slice(0, 2)).toEqual([
    { source: join(rootfs, RUNTIME), destination: `${RUNTIME}.cnbkit-target-node`, readonly: true },
    { source: join(dir, `cache/node-runtime/26.10.0-${host}/bin/node`), destination: RUNTIME, readonly: true },
  ]);
  // This machine's loader and libraries, at their own multiarch paths.
  expect(got.mounts.slice(2).map((m) => m.destination)).toEqual(
    host === "amd64"
      ? ["/usr/lib/x86_64-linux-gnu", "/lib64/ld-linux-x86-64.so.2"]
      : ["/usr/lib/aarch64-linux-gnu", "/lib/ld-linux-aarch64.so.1"],
  );
  expect(got.line).toBe(
    "Running the buildpacks on this machine's Node.js (cnbkit/node-runtime 26.10.0); the tools they start run under qemu",
  );
});

test("a bundle whose framework copies the Node running it into layers keeps the runtime under qemu", async () => {
  await buildpack("acme_old", "const dir = '.cnbkit-exec-d'; copyFile(process.execPath, dir)");
  expect(await nativeNodeRuntime(rootfs, labels, target, env)).toEqual({
    ok: false,
    reason: "acme_old 1.0.0's framework would copy the Node running it into its layers",
  });
});

test("a runtime layer cnbkit did not package here is not swapped", async () => {
  labels["io.buildpacks.buildpack.layers"] = JSON.stringify({
    "cnbkit/node-runtime": { "26.10.0": { layerDiffID: `sha256:${"b".repeat(64)}` } },
  });
  expect(await nativeNodeRuntime(rootfs, labels, target, env)).toEqual({
    ok: false,
    reason: "the builder's cnbkit/node-runtime 26.10.0 is not one cnbkit packaged here",
  });
});

test("without this machine's build of the version there is nothing native to run", async () => {
  await rm(join(dir, `cache/node-runtime/26.10.0-${host}`), { recursive: true });
  expect(await nativeNodeRuntime(rootfs, labels, target, env)).toEqual({
    ok: false,
    reason: `cnbkit has no cnbkit/node-runtime 26.10.0 for ${host}`,
  });
});
