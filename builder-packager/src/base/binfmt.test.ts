import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CnbError } from "@cnbkit/framework";
import { checkQemuBinfmt, qemuArch, qemuBinfmtStatus } from "./binfmt.js";

// The kernel's binfmt_misc files, laid out as in /proc/sys/fs/binfmt_misc, so each state can be checked.
describe("checkQemuBinfmt", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "cnbkit-binfmt-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function binfmtDir(name: string, handler?: string): Promise<string> {
    const dir = join(root, name);
    await mkdir(dir);
    await writeFile(join(dir, "register"), "");
    if (handler !== undefined) await writeFile(join(dir, "qemu-aarch64"), handler);
    return dir;
  }

  const handler = (state: string, flags: string) =>
    `${state}\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: ${flags}\noffset 0\nmagic 7f454c46\n`;

  test("names the Debian arches the way qemu does", () => {
    expect(qemuArch("arm64")).toBe("aarch64");
    expect(qemuArch("amd64")).toBe("x86_64");
  });

  test("passes for an enabled handler with the fix-binary flag", async () => {
    const dir = await binfmtDir("ok", handler("enabled", "POF"));
    expect(await qemuBinfmtStatus("arm64", dir)).toEqual({
      mounted: true,
      registered: true,
      enabled: true,
      fixBinary: true,
    });
    await expect(checkQemuBinfmt("arm64", dir)).resolves.toBeUndefined();
  });

  test.each([
    ["not mounted", undefined, /binfmt_misc is not mounted/],
    ["no handler", "", /no qemu-aarch64 handler is registered/],
    ["disabled", handler("disabled", "POF"), /qemu-aarch64 handler .* is disabled/],
    ["no F flag", handler("enabled", "P"), /lacks the F \(fix-binary\) flag/],
  ])("refuses with a one-line error and a hint when %s", async (name, content, message) => {
    let dir = join(root, name.replace(/ /g, "-"));
    if (name === "not mounted") await mkdir(dir);
    else dir = await binfmtDir(name.replace(/ /g, "-"), content === "" ? undefined : content);
    const err = await checkQemuBinfmt("arm64", dir).catch((e) => e);
    expect(err).toBeInstanceOf(CnbError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain("\n");
    expect(err.hint).toMatch(/qemu-user-static/);
  });
});
