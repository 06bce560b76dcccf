/**
 * Reading the target CPU of an ELF executable, so tests and packagers can check that a
 * binary built for linux/arm64 really is one before it goes into an image.
 */
import { open } from "node:fs/promises";
import { CnbError } from "@cnbkit/framework";

/** ELF e_machine values cnbkit builds for. */
const MACHINES: Record<number, "amd64" | "arm64"> = { 62: "amd64", 183: "arm64" };

/**
 * Returns "amd64" or "arm64" from the ELF header of `path` (64-bit, little-endian).
 * Throws a CnbError for anything else.
 *
 * @example
 * await elfMachine("out/linux-arm64/bin/main"); // "arm64"
 */
export async function elfMachine(path: string): Promise<"amd64" | "arm64"> {
  const fh = await open(path, "r");
  const header = Buffer.alloc(20);
  try {
    await fh.read(header, 0, header.length, 0);
  } finally {
    await fh.close();
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) throw new CnbError(`${path}: not an ELF file`);
  if (header[4] !== 2 || header[5] !== 1) throw new CnbError(`${path}: not a 64-bit little-endian ELF file`);
  const machine = MACHINES[header.readUInt16LE(18)];
  if (!machine)
    throw new CnbError(`${path}: ELF machine 0x${header.readUInt16LE(18).toString(16)} is neither x86-64 nor aarch64`);
  return machine;
}
