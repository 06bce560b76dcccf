/**
 * What an ELF file says about linking, read from its dynamic section with no execution and
 * no readelf: the sonames it loads (DT_NEEDED), its own soname (DT_SONAME), the symbol
 * versions it needs from each library (DT_VERNEED, `.gnu.version_r`) and the versions it
 * defines (DT_VERDEF). The dynamic loader refuses a binary whose version need its library
 * does not define (`version 'GLIBC_2.38' not found`), so these lists say which run images an
 * app layer can sit on.
 *
 * It reads through the program headers (PT_DYNAMIC, PT_LOAD), as the loader does, so a file
 * whose section headers were stripped reads the same. 32- and 64-bit, either byte order.
 */

/** The dynamic-linking facts of one ELF file. */
export interface ElfDynamic {
  /** ELF e_machine (62 x86-64, 183 aarch64): a file of another CPU is not the image's. */
  machine: number;
  /** DT_SONAME, when the file is a library that names itself. */
  soname?: string;
  /** DT_NEEDED, in file order. */
  needed: string[];
  /** DT_VERNEED: per library file (a soname), the version names needed from it (`GLIBC_2.34`). */
  versionNeeds: { file: string; versions: string[] }[];
  /** DT_VERDEF: the version names this file defines (`GLIBC_2.36`), without the base entry (its soname). */
  versionDefs: string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_SONAME = 14;
const DT_VERDEF = 0x6ffffffc;
const DT_VERDEFNUM = 0x6ffffffd;
const DT_VERNEED = 0x6ffffffe;
const DT_VERNEEDNUM = 0x6fffffff;
const VER_FLG_BASE = 1;

/** True when `head` starts with the ELF magic. */
export function isElf(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/** Little helpers over one file's bytes, in its class and byte order. */
interface Reader {
  u16(off: number): number;
  u32(off: number): number;
  /** A word: 4 bytes in a 32-bit file, 8 in a 64-bit one (as a Number: offsets fit). */
  word(off: number): number;
  is64: boolean;
  buf: Buffer;
}

function reader(buf: Buffer): Reader {
  const is64 = buf[4] === 2;
  const le = buf[5] !== 2;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u64 = (o: number) => Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
  return { u16, u32, word: is64 ? u64 : u32, is64, buf };
}

/** One program header: what {@link readElfDynamic} needs of it. */
interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

function segments(r: Reader): Segment[] {
  const phoff = r.word(r.is64 ? 0x20 : 0x1c);
  const phentsize = r.u16(r.is64 ? 0x36 : 0x2a);
  const phnum = r.u16(r.is64 ? 0x38 : 0x2c);
  const out: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (p + phentsize > r.buf.length) break;
    out.push(
      r.is64
        ? { type: r.u32(p), offset: r.word(p + 8), vaddr: r.word(p + 16), filesz: r.word(p + 32) }
        : { type: r.u32(p), offset: r.u32(p + 4), vaddr: r.u32(p + 8), filesz: r.u32(p + 16) },
    );
  }
  return out;
}

/** A NUL-terminated string at `off`. */
function cString(buf: Buffer, off: number): string {
  if (off < 0 || off >= buf.length) return "";
  const end = buf.indexOf(0, off);
  return buf.toString("latin1", off, end < 0 ? buf.length : end);
}

/**
 * The dynamic-linking facts of the ELF file in `buf` (the whole file), or undefined when it
 * is not ELF or has no dynamic section (a static binary needs nothing from the run image).
 * Truncated or malformed tables end the list where they stop making sense, never throw.
 *
 * @example
 * readElfDynamic(await readFile("/usr/bin/node"))?.versionNeeds
 * // [{ file: "libc.so.6", versions: ["GLIBC_2.2.5", ..., "GLIBC_2.34"] }, ...]
 */
export function readElfDynamic(buf: Buffer): ElfDynamic | undefined {
  if (buf.length < 0x40 || !isElf(buf)) return undefined;
  const r = reader(buf);
  const segs = segments(r);
  const dyn = segs.find((s) => s.type === PT_DYNAMIC);
  if (!dyn) return undefined;
  const loads = segs.filter((s) => s.type === PT_LOAD);
  const fileOffset = (vaddr: number) => {
    const seg = loads.find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
    return seg ? vaddr - seg.vaddr + seg.offset : -1;
  };
  const entries = dynamicEntries(r, dyn);
  const strtab = fileOffset(entries.find((e) => e.tag === DT_STRTAB)?.val ?? -1);
  if (strtab < 0) return undefined;
  const str = (i: number) => cString(buf, strtab + i);
  const val = (tag: number) => entries.find((e) => e.tag === tag)?.val;
  const soname = val(DT_SONAME);
  const verneed = val(DT_VERNEED);
  const verdef = val(DT_VERDEF);
  return {
    machine: r.u16(18),
    ...(soname !== undefined ? { soname: str(soname) } : {}),
    needed: entries.filter((e) => e.tag === DT_NEEDED).map((e) => str(e.val)),
    versionNeeds: verneed === undefined ? [] : versionNeeds(r, fileOffset(verneed), val(DT_VERNEEDNUM) ?? 0, str),
    versionDefs: verdef === undefined ? [] : versionDefs(r, fileOffset(verdef), val(DT_VERDEFNUM) ?? 0, str),
  };
}

function dynamicEntries(r: Reader, dyn: Segment): { tag: number; val: number }[] {
  const size = r.is64 ? 16 : 8;
  const out: { tag: number; val: number }[] = [];
  const end = Math.min(dyn.offset + dyn.filesz, r.buf.length);
  for (let p = dyn.offset; p + size <= end; p += size) {
    const tag = r.word(p);
    if (tag === 0) break;
    out.push({ tag, val: r.word(p + size / 2) });
  }
  return out;
}

/** The Elf_Verneed chain at `off` (`count` entries), each with its Elf_Vernaux names. */
function versionNeeds(r: Reader, off: number, count: number, str: (i: number) => string): ElfDynamic["versionNeeds"] {
  const out: ElfDynamic["versionNeeds"] = [];
  for (let i = 0, p = off; i < count && p >= 0 && p + 16 <= r.buf.length; i++) {
    const cnt = r.u16(p + 2);
    const versions: string[] = [];
    for (let j = 0, a = p + r.u32(p + 8); j < cnt && a + 16 <= r.buf.length; j++) {
      versions.push(str(r.u32(a + 8)));
      const next = r.u32(a + 12);
      if (!next) break;
      a += next;
    }
    out.push({ file: str(r.u32(p + 4)), versions });
    const next = r.u32(p + 12);
    if (!next) break;
    p += next;
  }
  return out;
}

/** The Elf_Verdef chain at `off`: the first Elf_Verdaux name of each entry but the base one. */
function versionDefs(r: Reader, off: number, count: number, str: (i: number) => string): string[] {
  const out: string[] = [];
  for (let i = 0, p = off; i < count && p >= 0 && p + 20 <= r.buf.length; i++) {
    const flags = r.u16(p + 2);
    const aux = p + r.u32(p + 12);
    if (!(flags & VER_FLG_BASE) && aux + 8 <= r.buf.length) out.push(str(r.u32(aux)));
    const next = r.u32(p + 16);
    if (!next) break;
    p += next;
  }
  return out;
}
