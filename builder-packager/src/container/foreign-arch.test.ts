import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { afterAll, beforeAll, expect, test } from "vitest";
import { hostPlatform } from "../oci/index.js";
import { checkRunnable } from "./foreign-arch.js";

// binfmt_misc laid out as the kernel shows it, with and without a usable qemu handler; the
// interpreter is a script that answers --version as qemu 10 does.
let root: string;
let qemu: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-foreign-"));
  qemu = join(root, "qemu-static");
  await writeFile(qemu, '#!/bin/sh\necho "qemu-x version 10.0.13"\n');
  await chmod(qemu, 0o755);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const host = hostPlatform().architecture;
const other = host === "arm64" ? "amd64" : "arm64";
const handlerName = other === "arm64" ? "qemu-aarch64" : "qemu-x86_64";

async function binfmt(name: string, handler?: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  await writeFile(join(dir, "register"), "");
  if (handler) await writeFile(join(dir, handlerName), handler);
  return dir;
}

test("this machine's arch runs natively, whatever binfmt_misc says", async () => {
  expect(await checkRunnable("image x", { architecture: host }, { dir: join(root, "absent") })).toBe("native");
});

test("another arch runs emulated when a qemu >= 8 handler is enabled with the F flag", async () => {
  const dir = await binfmt("ok", `enabled\ninterpreter ${qemu}\nflags: POF\n`);
  expect(await checkRunnable("image x", { os: "linux", architecture: other }, { dir, enable: false })).toBe("emulated");
});

test("another arch without a handler (not root) is one line naming the image, the arches and the commands", async () => {
  const dir = await binfmt("none");
  const err = await checkRunnable("builder oci:b", { architecture: other }, { dir, enable: false }).catch((e) => e);
  expect(err).toBeInstanceOf(CnbError);
  expect(err.message).toBe(
    `builder oci:b is linux/${other} and this machine ${host}: no ${handlerName} handler is registered in ${dir}`,
  );
  expect(err.hint).toMatch(new RegExp(`sudo sh -c 'cat .*/qemu/current/${handlerName}\\.conf > ${dir}/register'`));
});

test("another OS is refused", async () => {
  await expect(checkRunnable("image w", { os: "windows", architecture: host })).rejects.toThrow(
    /^image w is windows\/.* this machine runs linux images only$/,
  );
});
