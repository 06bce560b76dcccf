import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CnbError } from "@cnbkit/framework";
import { checkQemuBinfmt, enableQemuBinfmt, qemuArch, qemuBinfmtHint, qemuBinfmtStatus } from "./binfmt.js";
import { cachedQemu } from "./qemu.js";

// The kernel's binfmt_misc files, laid out as in /proc/sys/fs/binfmt_misc, so each state can
// be checked; interpreters are small scripts that answer --version as qemu does.
let root: string;
let qemu10: string;
let qemu7: string;
let qemu7P: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-binfmt-"));
  qemu10 = await fakeQemu("qemu10", "10.0.13");
  qemu7 = await fakeQemu("qemu7", "7.2.19");
  // Debian's handler names `aarch64-binfmt-P`, a symlink under whose name qemu runs its first
  // argument instead of answering --version.
  qemu7P = join(root, "aarch64-binfmt-P");
  await symlink(qemu7, qemu7P);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function fakeQemu(name: string, version: string): Promise<string> {
  const path = join(root, name);
  await writeFile(
    path,
    `#!/bin/sh\ncase "$0" in *-binfmt-P) echo "$1: Invalid ELF image" >&2; exit 1;; esac\necho "qemu-aarch64 version ${version} (Debian 1:${version}+ds)"\n`,
  );
  await chmod(path, 0o755);
  return path;
}

async function binfmtDir(name: string, handler?: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  await writeFile(join(dir, "register"), "");
  if (handler !== undefined) await writeFile(join(dir, "qemu-aarch64"), handler);
  return dir;
}

const handler = (state: string, flags: string, interpreter = qemu10) =>
  `${state}\ninterpreter ${interpreter}\nflags: ${flags}\noffset 0\nmagic 7f454c46\n`;

describe("checkQemuBinfmt", () => {
  test("names the Debian arches the way qemu does", () => {
    expect(qemuArch("arm64")).toBe("aarch64");
    expect(qemuArch("amd64")).toBe("x86_64");
  });

  test("passes for an enabled qemu >= 8 handler with the fix-binary flag", async () => {
    const dir = await binfmtDir("ok", handler("enabled", "POF"));
    expect(await qemuBinfmtStatus("arm64", dir)).toEqual({
      mounted: true,
      registered: true,
      enabled: true,
      fixBinary: true,
      interpreter: qemu10,
    });
    await expect(checkQemuBinfmt("arm64", { dir })).resolves.toBeUndefined();
  });

  test.each([
    ["not mounted", undefined, /binfmt_misc is not mounted/],
    ["no handler", "", /no qemu-aarch64 handler is registered/],
    ["disabled", () => handler("disabled", "POF"), /qemu-aarch64 handler .* is disabled/],
    ["no F flag", () => handler("enabled", "P"), /lacks the F \(fix-binary\) flag/],
    [
      "qemu 7",
      () => handler("enabled", "OPF", qemu7),
      /handler runs qemu 7\.2\.19 \(.*qemu7\), under which Go programs such as the lifecycle hang \(golang\/go#68976\); cnbkit needs qemu >= 8\.0$/,
    ],
    [
      "qemu 7 behind -binfmt-P",
      () => handler("enabled", "OPF", qemu7P),
      /handler runs qemu 7\.2\.19 \(.*aarch64-binfmt-P\), under which Go programs .* hang/,
    ],
    [
      "a gone interpreter",
      () => handler("enabled", "OPF", join(root, "gone")),
      /interpreter .*gone does not run here, so its qemu version is unknown/,
    ],
  ])("refuses with one line and the shell commands when %s", async (name, content, message) => {
    let dir = join(root, name.replace(/ /g, "-"));
    if (name === "not mounted") await mkdir(dir);
    else dir = await binfmtDir(name.replace(/ /g, "-"), typeof content === "function" ? content() : undefined);
    const err = await checkQemuBinfmt("arm64", { dir, cache: join(root, "no-cache") }).catch((e) => e);
    expect(err).toBeInstanceOf(CnbError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain("\n");
    expect(err.hint).toMatch(/^run: bash scripts\/fetch-qemu\.sh && sudo sh -c '/);
    expect(err.hint).not.toMatch(/enableQemuBinfmt|\(\)/); // shell, not TypeScript
  });
});

describe("enableQemuBinfmt", () => {
  test("without a qemu >= 8 in cnbkit's cache it is one line saying where it looked and how to get one", async () => {
    const dir = await binfmtDir("enable-no-qemu", handler("enabled", "OPF", qemu7));
    const cache = join(root, "cache-none");
    const err = await enableQemuBinfmt("arm64", { dir, cache }).catch((e) => e);
    expect(err).toBeInstanceOf(CnbError);
    expect(err.message).toBe(`no qemu >= 8.0 for linux/arm64 in ${cache}/qemu`);
    expect(err.hint).toMatch(/^run bash scripts\/fetch-qemu\.sh/);
  });

  test("a good handler is left alone", async () => {
    const dir = await binfmtDir("enable-ok", handler("enabled", "OPF"));
    expect(await enableQemuBinfmt("arm64", { dir, cache: join(root, "cache-none") })).toBeUndefined();
  });
});

describe("qemuBinfmtHint", () => {
  test("mounts only when unmounted, unregisters only what is there, registers cnbkit's line", async () => {
    const cache = join(root, "cache-empty");
    const unmounted = join(root, "hint-unmounted");
    await mkdir(unmounted);
    expect(await qemuBinfmtHint("arm64", { dir: unmounted, cache })).toBe(
      `run: bash scripts/fetch-qemu.sh && sudo sh -c 'mount -t binfmt_misc binfmt_misc ${unmounted}; ` +
        `cat ${cache}/qemu/current/qemu-aarch64.conf > ${unmounted}/register' (or run cnbkit as root: it does this itself)`,
    );
    const old = await binfmtDir("hint-old", handler("enabled", "OPF", qemu7));
    expect(await qemuBinfmtHint("arm64", { dir: old, cache })).toContain(
      `sudo sh -c 'echo -1 > ${old}/qemu-aarch64; cat ${cache}/qemu/current/qemu-aarch64.conf > ${old}/register'`,
    );
  });
});

describe("cachedQemu", () => {
  test("reads what scripts/fetch-qemu.sh cached: the emulator, its version, a line with it and F", async () => {
    const cache = join(root, "cache");
    const version = join(cache, "qemu", "10.0.13+ds-0+deb13u1");
    await mkdir(version, { recursive: true });
    await writeFile(
      join(version, "qemu-aarch64-static"),
      '#!/bin/sh\necho "qemu-aarch64 version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)"\n',
    );
    await chmod(join(version, "qemu-aarch64-static"), 0o755);
    await writeFile(
      join(version, "qemu-aarch64.conf"),
      ":qemu-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02:\\xff\\xff\\xff\\xff\\xff:/elsewhere/qemu-aarch64-static:OP\n",
    );
    await symlink("10.0.13+ds-0+deb13u1", join(cache, "qemu", "current"));
    expect(await cachedQemu("arm64", cache)).toEqual({
      path: join(version, "qemu-aarch64-static"),
      version: "10.0.13",
      binfmtLine: `:qemu-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02:\\xff\\xff\\xff\\xff\\xff:${version}/qemu-aarch64-static:OPF`,
    });
    expect(await cachedQemu("arm64", join(root, "nothing-here"))).toBeUndefined();
  });
});
