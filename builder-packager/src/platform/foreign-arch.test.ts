import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { afterAll, beforeAll, expect, test } from "vitest";
import { hostPlatform } from "../oci/image.js";
import { checkRunnable } from "./foreign-arch.js";

// binfmt_misc laid out as the kernel shows it, with and without a usable qemu handler.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-foreign-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const host = hostPlatform().architecture;
const other = host === "arm64" ? "amd64" : "arm64";
const qemu = other === "arm64" ? "qemu-aarch64" : "qemu-x86_64";

async function binfmt(name: string, handler?: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  await writeFile(join(dir, "register"), "");
  if (handler) await writeFile(join(dir, qemu), handler);
  return dir;
}

test("this machine's arch runs natively, whatever binfmt_misc says", async () => {
  expect(await checkRunnable("image x", { architecture: host }, join(root, "absent"))).toBe("native");
});

test("another arch runs emulated when qemu's handler is enabled with the F flag", async () => {
  const dir = await binfmt("ok", `enabled\ninterpreter /usr/libexec/qemu-binfmt/x\nflags: POF\n`);
  expect(await checkRunnable("image x", { os: "linux", architecture: other }, dir)).toBe("emulated");
});

test("another arch without a handler is one line naming the image, the arches and the fix", async () => {
  const err = await checkRunnable("builder oci:b", { architecture: other }, await binfmt("none")).catch((e) => e);
  expect(err).toBeInstanceOf(CnbError);
  expect(err.message).toBe(
    `builder oci:b is linux/${other} and this machine ${host}: no ${qemu} handler is registered in ${join(root, "none")}`,
  );
  expect(err.hint).toMatch(/qemu-user-static/);
});

test("another OS is refused", async () => {
  await expect(checkRunnable("image w", { os: "windows", architecture: host })).rejects.toThrow(
    /^image w is windows\/.* this machine runs linux images only$/,
  );
});
