/**
 * The build info the Go toolchain embeds in every binary (what `go version -m` prints): the
 * Go version, the main package and module, and each dependency module with its version and
 * go.sum hash. Read from the ELF `.go.buildinfo` section, so no Go toolchain is needed.
 */
import { open } from "node:fs/promises";
import { CnbError } from "@cnbkit/framework";

/** One module: its path, version and go.sum `h1:` hash (empty for the main module). */
export interface GoModule {
  path: string;
  version: string;
  /** The local directory the binary was built from instead (a `=> ../dir` replacement): a patched copy. */
  localCopy?: string;
  sum: string;
}

/** A Go binary's build info. */
export interface GoBuildInfo {
  /** e.g. `go1.26.8`. */
  goVersion: string;
  /** The main package, e.g. `github.com/buildpacks/lifecycle/cmd/launcher`. */
  path: string;
  /** The main module (`(devel)` as its version when built from a source tree). */
  main: GoModule;
  /**
   * Dependencies as linked: a `=>` replacement by another module takes the place of the module
   * it replaces; one by a local directory keeps the module's identity and names the directory.
   */
  deps: GoModule[];
}

const MAGIC = Buffer.from("\xff Go buildinf:", "latin1");

/**
 * Reads the build info of a 64-bit little-endian ELF Go binary (Go 1.18 or newer).
 *
 * @example
 * const info = await readGoBuildInfo("/cnb/lifecycle/launcher");
 * info.deps.map((d) => `${d.path}@${d.version}`);
 */
export async function readGoBuildInfo(file: string): Promise<GoBuildInfo> {
  const fh = await open(file, "r");
  try {
    const read = async (pos: number, len: number) => {
      const b = Buffer.alloc(len);
      const { bytesRead } = await fh.read(b, 0, len, pos);
      return b.subarray(0, bytesRead);
    };
    const head = await read(0, 64);
    if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) {
      throw new CnbError(`${file}: not a 64-bit little-endian ELF binary`);
    }
    const shoff = Number(head.readBigUInt64LE(0x28));
    const shentsize = head.readUInt16LE(0x3a);
    const shnum = head.readUInt16LE(0x3c);
    const shstrndx = head.readUInt16LE(0x3e);
    const headers = await read(shoff, shentsize * shnum);
    const section = (i: number) => ({
      name: headers.readUInt32LE(i * shentsize),
      offset: Number(headers.readBigUInt64LE(i * shentsize + 24)),
      size: Number(headers.readBigUInt64LE(i * shentsize + 32)),
    });
    const strtab = section(shstrndx);
    const names = await read(strtab.offset, strtab.size);
    for (let i = 0; i < shnum; i++) {
      const s = section(i);
      const end = names.indexOf(0, s.name);
      if (names.toString("latin1", s.name, end) !== ".go.buildinfo") continue;
      return parseBuildInfo(await read(s.offset, s.size), file);
    }
    throw new CnbError(`${file}: has no .go.buildinfo section; is it a Go binary?`);
  } finally {
    await fh.close();
  }
}

/** Parses the section: 32-byte header (magic, pointer size, flags), then two varint-prefixed strings. */
function parseBuildInfo(b: Buffer, file: string): GoBuildInfo {
  if (!b.subarray(0, MAGIC.length).equals(MAGIC) || (b[15]! & 2) === 0) {
    throw new CnbError(`${file}: its Go build info predates Go 1.18 and cannot be read`);
  }
  let pos = 32;
  const str = () => {
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = b[pos++] ?? 0;
      len |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    const s = b.toString("utf8", pos, pos + len);
    pos += len;
    return s;
  };
  const goVersion = str();
  let modinfo = str();
  // The module info is framed by 16-byte sentinels.
  if (modinfo.length >= 33 && modinfo[modinfo.length - 17] === "\n") modinfo = modinfo.slice(16, -16);
  return parseModInfo(goVersion, modinfo);
}

/** The `path`, `mod`, `dep` and `=>` lines of `go version -m`. */
export function parseModInfo(goVersion: string, text: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, path: "", main: { path: "", version: "", sum: "" }, deps: [] };
  for (const line of text.split("\n")) {
    const [kind, path = "", version = "", sum = ""] = line.split("\t");
    if (kind === "path") info.path = path;
    else if (kind === "mod") info.main = { path, version, sum };
    else if (kind === "dep") info.deps.push({ path, version, sum });
    else if (kind === "=>" && info.deps.length) {
      const replaced = info.deps[info.deps.length - 1]!;
      // A local directory stands in for the module (a patched copy, as cnbkit's lifecycle build
      // uses for imgutil): the module is still that one at that version, with local changes.
      info.deps[info.deps.length - 1] = /^[./]/.test(path) ? { ...replaced, localCopy: path } : { path, version, sum };
    }
  }
  return info;
}
