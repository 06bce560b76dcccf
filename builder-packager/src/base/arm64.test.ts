import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { OciLayout } from "../oci/index.js";
import { enableQemuBinfmt } from "./binfmt.js";
import { baseRootfsSpecs, writeBaseImage } from "./images.js";
import { ensureDebianRootfs } from "./rootfs.js";

const exec = promisify(execFile);
const spec = baseRootfsSpecs("arm64").run;
let work: string;
let rootfs: string;

beforeAll(async () => {
  // Registers qemu-aarch64 (with the F flag) in binfmt_misc, as installing qemu-user-static
  // does on a systemd host; a no-op when it is there already. Needs root, like debootstrap.
  await enableQemuBinfmt("arm64");
  // Slow the first time (the second stage runs emulated); cached after.
  rootfs = await ensureDebianRootfs(spec, { onProgress: () => {} });
  work = await mkdtemp(join(tmpdir(), "cnbkit-arm64-test-"));
}, 3_600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test("the arm64 run rootfs holds arm64 binaries and the cnb user", async () => {
  const elf = await readFile(join(rootfs, "usr/bin/dash"));
  expect(elf.readUInt16LE(18)).toBe(0xb7); // e_machine = EM_AARCH64
  expect(await readFile(join(rootfs, "etc/passwd"), "utf8")).toMatch(/^cnb:x:1000:1000:/m);
  expect((await stat(join(rootfs, "home/cnb"))).uid).toBe(1000);
});

test("an arm64 run image says arm64/v8 and runs under runc through qemu as uid 1000", async () => {
  const layout = await OciLayout.create(join(work, "layout"));
  const desc = await writeBaseImage(layout, "run", rootfs, spec);
  expect(desc.platform).toEqual({ architecture: "arm64", os: "linux", variant: "v8" });
  const { stdout } = await exec("skopeo", ["inspect", "--config", `oci:${layout.dir}:run`]);
  expect(JSON.parse(stdout)).toMatchObject({ architecture: "arm64", variant: "v8", os: "linux" });

  const bundle = join(work, "bundle");
  await exec("umoci", ["unpack", "--image", `${layout.dir}:run`, bundle], { maxBuffer: 64 << 20 });
  const configPath = join(bundle, "config.json");
  const config = JSON.parse(await readFile(configPath, "utf8"));
  config.process.args = ["/bin/sh", "-c", "uname -m; id -u"];
  config.process.terminal = false;
  config.process.user = { uid: 1000, gid: 1000 };
  await writeFile(configPath, JSON.stringify(config));
  const id = `cnbkit-arm64-test-${process.pid}`;
  try {
    const { stdout: out } = await exec("runc", ["run", "--bundle", bundle, id]);
    expect(out.trim().split("\n")).toEqual(["aarch64", "1000"]);
  } finally {
    await exec("runc", ["delete", "-f", id]).catch(() => {});
  }
}, 300_000);
