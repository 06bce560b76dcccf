import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerFile } from "../../../test/support/temp-dir.js";
import { elfMachine } from "./elf.js";

let tmp: string;
tempDirPerFile("elf", (d) => {
  tmp = d;
});

/** A 64-byte ELF header with the given class and e_machine. */
function header(elfClass: number, machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.write("\x7fELF", 0, "latin1");
  b[4] = elfClass;
  b[5] = 1; // little-endian
  b[6] = 1;
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(machine, 18);
  return b;
}

test("reads the machine of the Node running this test", async () => {
  const expected = process.arch === "arm64" ? "arm64" : "amd64";
  expect(await elfMachine(process.execPath)).toBe(expected);
});

test("tells aarch64 from x86-64 by e_machine", async () => {
  await writeFile(join(tmp, "arm"), header(2, 0xb7));
  await writeFile(join(tmp, "x86"), header(2, 0x3e));
  expect(await elfMachine(join(tmp, "arm"))).toBe("arm64");
  expect(await elfMachine(join(tmp, "x86"))).toBe("amd64");
});

test("refuses non-ELF files, 32-bit ELF and other machines", async () => {
  await writeFile(join(tmp, "script"), "#!/bin/sh\necho hi\n");
  await writeFile(join(tmp, "elf32"), header(1, 0x03));
  await writeFile(join(tmp, "riscv"), header(2, 0xf3));
  await expect(elfMachine(join(tmp, "script"))).rejects.toThrow(/script: not an ELF file/);
  await expect(elfMachine(join(tmp, "elf32"))).rejects.toThrow(/not a 64-bit little-endian ELF/);
  await expect(elfMachine(join(tmp, "riscv"))).rejects.toThrow(/ELF machine 0xf3/);
});
