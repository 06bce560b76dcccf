/**
 * The ELF facts of one layer, read as its tar streams (no unpacking, nothing executed): which
 * sonames and symbol versions its files need, and which libraries it holds with the versions
 * they define. The same layer (by diffID) always gives the same facts, so they are cached.
 */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { readElfDynamic, isElf, type ElfDynamic } from "./elf-dynamic.js";
import { compareVersions, splitVersionName } from "./symbol-version.js";

/** What a layer's ELF files need and hold, before layers are combined. */
export interface LayerAbi {
  /** Sonames held, with the newest version per family each defines (`{}` when it defines none). */
  provides: Record<string, Record<string, string>>;
  /** Version needs per library and family: the newest and the first file (by path) that needs it. */
  versions: Record<string, Record<string, { version: string; file: string }>>;
  /** Sonames loaded, each with the first file (by path) that loads it. */
  sonames: Record<string, string>;
}

/** What to read: a run image's library directories only, or every file of an app layer. */
export type ScanScope = "library-dirs" | "all";

/**
 * The ELF e_machine of an image architecture (`amd64` -> 62), or undefined for one not listed: a
 * file for another CPU is not the image's to check.
 */
export function elfMachine(arch: string): number | undefined {
  return MACHINE[arch];
}

const MACHINE: Record<string, number> = {
  amd64: 62,
  arm64: 183,
  arm: 40,
  "386": 3,
  ppc64le: 21,
  s390x: 22,
  riscv64: 243,
};

/** `lib/`, `usr/lib/`, `usr/local/lib64/`, `usr/lib/x86_64-linux-gnu/`, ...: where the loader looks by default. */
const LIBRARY_DIR = /^(usr\/)?(local\/)?lib(32|64|x32)?(\/[^/]+-linux-gnu[^/]*)?\/[^/]+$/;

/** An empty {@link LayerAbi}. */
export function emptyLayerAbi(): LayerAbi {
  return { provides: {}, versions: {}, sonames: {} };
}

/**
 * Adds one file's facts to `into`. Files of another CPU, and musl-linked ones (prebuilt
 * addons carry both kinds next to the glibc one), are skipped: the loader never maps them here.
 */
export function addElfFile(into: LayerAbi, file: string, elf: ElfDynamic, machine: number | undefined): void {
  if (machine !== undefined && elf.machine !== machine) return;
  if (elf.needed.some((n) => n.startsWith("libc.musl") || n === "libc.so")) return;
  const name = elf.soname ?? (/\.so(\.\d+)*$/.test(file) ? file.slice(file.lastIndexOf("/") + 1) : undefined);
  if (name) {
    const defs = into.provides[name] ?? {};
    into.provides[name] = defs;
    for (const def of elf.versionDefs) {
      const v = splitVersionName(def);
      if (v && (!defs[v.family] || compareVersions(v.version, defs[v.family]!) > 0)) defs[v.family] = v.version;
    }
  }
  for (const soname of elf.needed)
    if (!into.sonames[soname] || file < into.sonames[soname]!) into.sonames[soname] = file;
  for (const need of elf.versionNeeds) {
    const families = into.versions[need.file] ?? {};
    into.versions[need.file] = families;
    for (const name of need.versions) {
      const v = splitVersionName(name);
      if (!v) continue;
      const had = families[v.family];
      const order = had ? compareVersions(v.version, had.version) : 1;
      if (order > 0 || (order === 0 && file < had!.file)) families[v.family] = { version: v.version, file };
    }
  }
}

/**
 * The {@link LayerAbi} of a layer blob (`gzipped` unless a plain tar). Only files that start
 * with the ELF magic are held in memory, one at a time.
 *
 * @example
 * await scanLayer(await source.blob(layer.digest), true, "all", "amd64");
 */
export async function scanLayer(layer: Readable, gzipped: boolean, scope: ScanScope, arch: string): Promise<LayerAbi> {
  const abi = emptyLayerAbi();
  const machine = elfMachine(arch);
  const extract = tar.extract();
  const consume = (async () => {
    for await (const entry of extract) {
      const path = entry.header.name.replace(/^\.?\//, "");
      const wanted =
        entry.header.type === "file" && (entry.header.size ?? 0) >= 64 && (scope === "all" || LIBRARY_DIR.test(path));
      if (!wanted) {
        entry.resume();
        continue;
      }
      const chunks: Buffer[] = [];
      let elf: boolean | undefined;
      for await (const c of entry) {
        elf ??= isElf(c as Buffer);
        if (elf) chunks.push(c as Buffer);
      }
      if (!elf) continue;
      const facts = readElfDynamic(Buffer.concat(chunks));
      if (facts) addElfFile(abi, `/${path}`, facts, machine);
    }
  })();
  const piped = gzipped ? pipeline(layer, createGunzip(), extract) : pipeline(layer, extract);
  await Promise.all([piped, consume]);
  return abi;
}
