/**
 * The SBOM layer of a patched image: the lifecycle's SBOM layer with the patched layers'
 * documents (`/layers/sbom/<launch|build>/<buildpack>/<layer>/`) taken from the reference
 * image, every other entry kept. Entries are copied as raw tar blocks (header and data, as
 * the lifecycle's Go tar writer made them), in the original order, so the result is the
 * byte-for-byte SBOM layer a fresh build of the same app on the newer runtime exports: the
 * same diffID. Only its gzip differs (Node's zlib, not Go's), hence its blob digest.
 */
import { CnbError } from "@cnbkit/framework";

/** One tar entry as raw bytes: its header block(s), data and padding. */
export interface RawTarEntry {
  /** The name as the header has it (the lifecycle writes `/layers/...`). */
  name: string;
  typeflag: string;
  bytes: Buffer;
}

const BLOCK = 512;

/** A NUL-terminated string field of a tar header. */
function field(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString("utf8");
}

/**
 * The entries of an uncompressed tar, as raw bytes, and the end (the two zero blocks and
 * whatever follows). PAX and GNU long-name entries are refused: the lifecycle writes plain
 * ustar for `/layers/sbom` paths, and a header this code does not rewrite is no place to guess.
 */
export function readRawTar(tar: Buffer, where: string): { entries: RawTarEntry[]; tail: Buffer } {
  const entries: RawTarEntry[] = [];
  let at = 0;
  while (at + BLOCK <= tar.length) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) return { entries, tail: tar.subarray(at) };
    const typeflag = String.fromCharCode(h[156] ?? 48) || "0";
    if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K")
      throw new CnbError(`${where}: the SBOM layer has a ${typeflag} (PAX/GNU) header, which a patch does not rewrite`);
    const size = Number.parseInt(field(h, 124, 12).trim() || "0", 8);
    const prefix = field(h, 345, 155);
    const name = prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100);
    const end = at + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (!Number.isFinite(size) || end > tar.length) throw new CnbError(`${where}: the SBOM layer's tar is cut short`);
    entries.push({ name, typeflag, bytes: tar.subarray(at, end) });
    at = end;
  }
  throw new CnbError(`${where}: the SBOM layer's tar has no end marker`);
}

/**
 * The SBOM directory of a layer inside the SBOM layer, for each kind the lifecycle writes.
 *
 * @example
 * sbomPrefixes("cnbkit/nodejs", "node"); // ["/layers/sbom/launch/cnbkit_nodejs/node/", "/layers/sbom/build/…"]
 */
export function sbomPrefixes(buildpack: string, layer: string): string[] {
  const dir = buildpack.replaceAll("/", "_");
  return ["launch", "build"].map((kind) => `/layers/sbom/${kind}/${dir}/${layer}/`);
}

/** Whether an entry name is under `prefix` (the lifecycle's leading `/` or not). */
function under(name: string, prefix: string): boolean {
  return `/${name.replace(/^\/+/, "")}`.startsWith(prefix);
}

/**
 * The SBOM tar `old` with every entry under `prefixes` replaced by the entries under them in
 * `reference` (the dir entries themselves are kept), in place: where the old layer had the
 * first such file, or, when it had none, before the first entry that sorts after the prefix.
 */
export function replaceSbomEntries(old: Buffer, reference: Buffer, prefixes: string[], where: string): Buffer {
  const a = readRawTar(old, where);
  const b = readRawTar(reference, `${where} (reference)`);
  const parts: Buffer[] = [];
  const pending = new Map(prefixes.map((p) => [p, b.entries.filter((e) => under(e.name, p))]));
  const flush = (p: string) => {
    for (const e of pending.get(p) ?? []) parts.push(e.bytes);
    pending.delete(p);
  };
  for (const e of a.entries) {
    const name = `/${e.name.replace(/^\/+/, "")}`;
    for (const p of [...pending.keys()]) if (name > p && !name.startsWith(p)) flush(p);
    const p = prefixes.find((q) => under(e.name, q));
    if (p === undefined) {
      parts.push(e.bytes);
      continue;
    }
    if (pending.has(p)) flush(p);
  }
  for (const p of [...pending.keys()]) flush(p);
  parts.push(a.tail);
  return Buffer.concat(parts);
}
