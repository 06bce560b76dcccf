/** Which lifecycle an emulated build runs: this machine's build of the builder's, only when it provably is one. */
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { hostPlatform } from "../../oci/index.js";
import { NATIVE_LIFECYCLE_DIR, nativeLifecycle, phaseBinary } from "./native-lifecycle.js";

const host = hostPlatform().architecture;
const target = host === "amd64" ? "arm64" : "amd64";
let dir = "";
let env: Record<string, string> = {};

/** A lifecycle dir as scripts/setup.sh lays it out: the binary, a phase link, lifecycle.toml, the patches key. */
async function lifecycleDir(path: string, binary: string, patches: string | undefined, version = "0.21.17") {
  await mkdir(path, { recursive: true });
  await writeFile(join(path, "lifecycle"), binary);
  await symlink("lifecycle", join(path, "creator"));
  await writeFile(join(path, "lifecycle.toml"), `[lifecycle]\n  version = "${version}"\n`);
  if (patches !== undefined) await writeFile(join(path, ".cnbkit-patches"), `${patches}\n`);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-native-lifecycle-"));
  env = { CNBKIT_CACHE: join(dir, "cache") };
  await lifecycleDir(join(dir, "cache/lifecycle/0.21.17"), `${host} build`, "k1");
  await lifecycleDir(join(dir, `cache/lifecycle/0.21.17-${target}`), `${target} build`, "k1");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A builder rootfs whose /cnb/lifecycle holds `binary` at `version`. */
async function rootfs(binary: string, version = "0.21.17"): Promise<string> {
  const root = join(dir, "rootfs");
  await lifecycleDir(join(root, "cnb/lifecycle"), binary, undefined, version);
  return root;
}

test("a builder carrying cnbkit's build for the target arch runs this machine's build of the same source", async () => {
  const got = await nativeLifecycle(await rootfs(`${target} build`), target, env);
  expect(got).toEqual({
    ok: true,
    binaries: {
      dir: NATIVE_LIFECYCLE_DIR,
      mounts: [{ source: join(dir, "cache/lifecycle/0.21.17"), destination: NATIVE_LIFECYCLE_DIR, readonly: true }],
    },
    line: "Running lifecycle 0.21.17 natively (this machine's build of the builder's); the buildpacks run under qemu",
  });
  if (!got.ok) return;
  expect(phaseBinary(got.binaries, "/cnb/lifecycle/creator")).toBe(`${NATIVE_LIFECYCLE_DIR}/creator`);
  expect(phaseBinary(got.binaries, "/workspace/run")).toBe("/workspace/run");
});

test.each([
  ["another build of the version (a release tarball's)", "upstream build", "0.21.17", "not cnbkit's build of it"],
  [
    "a version cnbkit never built",
    `${target} build`,
    "0.20.12",
    "cnbkit has no build of lifecycle 0.20.12 for both arches",
  ],
])("%s runs under qemu: %s", async (_what, binary, version, reason) => {
  const got = await nativeLifecycle(await rootfs(binary, version), target, env);
  expect(got.ok).toBe(false);
  if (!got.ok) expect(got.reason).toContain(reason);
});

test("builds of one version with other patches are not taken for the same source", async () => {
  await writeFile(join(dir, "cache/lifecycle/0.21.17/.cnbkit-patches"), "k2\n");
  expect(await nativeLifecycle(await rootfs(`${target} build`), target, env)).toEqual({
    ok: false,
    reason: "cnbkit's lifecycle 0.21.17 builds differ in their patches",
  });
});

test("without this machine's build there is nothing native to run", async () => {
  await rm(join(dir, "cache/lifecycle/0.21.17"), { recursive: true });
  const got = await nativeLifecycle(await rootfs(`${target} build`), target, env);
  expect(got).toEqual({ ok: false, reason: "cnbkit has no build of lifecycle 0.21.17 for both arches" });
});
