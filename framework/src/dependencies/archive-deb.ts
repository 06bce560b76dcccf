/**
 * Debian packages (.deb) for archive.ts: where in the file the package's data tar lies.
 *
 * A .deb is an `ar` archive of three members: `debian-binary`, `control.tar.*` (the
 * maintainer scripts, which a buildpack never runs) and `data.tar.*` (the files). Only the
 * data tar is extracted, read in place by its byte range and through the same checked tar
 * reader as any other archive, so a .deb on deb.debian.org can be an inventory entry as it
 * is: pinned by Debian's own sha256, with no repacked tarball to publish and no `dpkg`
 * (which the build image need not have) to unpack it.
 */
import { open } from "node:fs/promises";
import { CnbError } from "../errors/index.js";

/** The data member of a .deb: its tar format and byte range (`end` inclusive, as createReadStream takes it). */
export interface DebData {
  /** The member's name, `data.tar.xz`. */
  name: string;
  format: "tar" | "tar.gz" | "tar.xz" | "tar.zst";
  start: number;
  end: number;
}

/** `!<arch>\n`: the first bytes of every ar archive, and so of every .deb. */
export const AR_MAGIC = Buffer.from("!<arch>\n", "latin1");

const HEADER = 60;

/** The tar format of a data member's name; undefined for a name that is not one. */
function dataFormat(name: string): DebData["format"] | undefined {
  const m = /^data\.tar(\.(gz|xz|zst))?$/.exec(name);
  if (!m) return undefined;
  return m[2] ? (`tar.${m[2]}` as DebData["format"]) : "tar";
}

/**
 * Finds the `data.tar[.gz|.xz|.zst]` member of the .deb `file` by walking its ar headers.
 *
 * @example
 * const { format, start, end } = await debData("nginx_1.26.3-3+deb13u11_amd64.deb");
 * // format "tar.xz", the member's bytes are start..end
 * @throws CnbError naming the file when it is not an ar archive, a header is malformed or
 * truncated, or no data member is there.
 */
export async function debData(file: string): Promise<DebData> {
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    const magic = Buffer.alloc(AR_MAGIC.length);
    await fh.read(magic, 0, magic.length, 0);
    if (!magic.equals(AR_MAGIC)) throw new CnbError(`${file}: not a Debian package (no "!<arch>" header)`);
    const header = Buffer.alloc(HEADER);
    let pos = AR_MAGIC.length;
    const seen: string[] = [];
    while (pos + HEADER <= size) {
      const { bytesRead } = await fh.read(header, 0, HEADER, pos);
      if (bytesRead < HEADER || header.toString("latin1", 58, 60) !== "`\n") {
        throw new CnbError(`${file}: malformed ar member header at byte ${pos}`, {
          hint: "The package is truncated or corrupt; download it again and check its sha256.",
        });
      }
      // GNU ar ends names with "/"; BSD-style long names (#1/n) do not occur in .debs.
      const name = header.toString("latin1", 0, 16).trim().replace(/\/$/, "");
      const length = Number.parseInt(header.toString("latin1", 48, 58).trim(), 10);
      const start = pos + HEADER;
      if (!Number.isSafeInteger(length) || length < 0 || start + length > size) {
        throw new CnbError(`${file}: ar member "${name}" claims ${length} bytes past the end of the file`, {
          hint: "The package is truncated or corrupt; download it again and check its sha256.",
        });
      }
      const format = dataFormat(name);
      if (format) return { name, format, start, end: start + length - 1 };
      seen.push(name);
      pos = start + length + (length % 2); // members are 2-byte aligned
    }
    throw new CnbError(`${file}: Debian package has no data.tar member (members: ${seen.join(", ") || "none"})`);
  } finally {
    await fh.close();
  }
}
