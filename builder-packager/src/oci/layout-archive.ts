/**
 * A whole OCI layout as one tar file (what pack calls a `.cnb` buildpackage), and back.
 *
 * Export is reproducible: the same layout gives the same tar bytes (sorted entries, fixed
 * mtime, owner 0, normalised modes). Import refuses entries that would escape the target
 * and writes into a temp dir renamed into place, so a failed import leaves nothing behind.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { CnbError } from "@cnbkit/framework";
import { tempPath } from "./layer.js";
import { OciLayout } from "./layout.js";
import { type LayerEntry, normalizeTarPath, prepareEntries, tarStream } from "./tar.js";

/**
 * Writes `layoutDir` as an uncompressed, reproducible tar at `outFile` (temp + rename).
 * Dot-prefixed files inside the layout (temp files, `.cnbkit-*` bookkeeping) are skipped.
 *
 * @example
 * await exportLayoutTar("out/bp-layout", "out/bp.cnb");
 */
export async function exportLayoutTar(layoutDir: string, outFile: string): Promise<void> {
  await OciLayout.open(layoutDir);
  const entries: LayerEntry[] = [];
  async function walk(rel: string): Promise<void> {
    const abs = rel === "" ? layoutDir : join(layoutDir, rel);
    for (const name of await readdir(abs)) {
      if (name.startsWith(".")) continue; // temp files, and cnbkit's lock, writers and checks
      const r = rel === "" ? name : `${rel}/${name}`;
      const st = await stat(join(abs, name));
      if (st.isDirectory()) {
        entries.push({ type: "dir", path: r });
        await walk(r);
      } else if (st.isFile()) {
        entries.push({ type: "file", path: r, size: st.size, sourcePath: join(abs, name) });
      }
    }
  }
  await walk("");
  await mkdir(dirname(resolve(outFile)), { recursive: true });
  const tmp = tempPath(dirname(resolve(outFile)));
  try {
    await pipeline(Readable.from(tarStream(prepareEntries(entries))), createWriteStream(tmp));
    await rename(tmp, outFile);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Unpacks a layout tar (as written by {@link exportLayoutTar} or pack) into `targetDir`,
 * which must not exist yet, and opens it.
 */
export async function importLayoutTar(tarFile: string, targetDir: string): Promise<OciLayout> {
  const target = resolve(targetDir);
  try {
    await stat(target);
    throw new CnbError(`${targetDir}: already exists; importing a layout needs a new directory`);
  } catch (err) {
    if (err instanceof CnbError) throw err;
  }
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPath(dirname(target));
  await mkdir(tmp);
  try {
    const extract = tar.extract();
    const done = (async () => {
      for await (const entry of extract) {
        const h = entry.header;
        let rel: string;
        try {
          rel = normalizeTarPath(h.name);
        } catch {
          throw new CnbError(`${tarFile}: entry "${h.name}" escapes the layout`);
        }
        const dest = join(tmp, rel);
        if (rel === "") {
          entry.resume();
        } else if (h.type === "directory") {
          await mkdir(dest, { recursive: true });
          entry.resume();
        } else if (h.type === "file") {
          await mkdir(dirname(dest), { recursive: true });
          await pipeline(entry, createWriteStream(dest));
        } else {
          throw new CnbError(`${tarFile}: entry "${h.name}" is a ${h.type}; a layout holds only files and directories`);
        }
      }
    })();
    await Promise.all([pipeline(createReadStream(tarFile), extract), done]);
    await OciLayout.open(tmp).catch(() => {
      throw new CnbError(`${tarFile}: not a tar of an OCI image layout (no oci-layout file)`);
    });
    await rename(tmp, target);
    return OciLayout.open(target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
