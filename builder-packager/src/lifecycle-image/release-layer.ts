/**
 * A lifecycle release tarball as the layer of the official `buildpacksio/lifecycle` image
 * (buildpacks/lifecycle tools/image/main.go): a `/cnb` directory, then every entry of the
 * tarball under `/cnb/`, owned by root, with the tarball's modes; the release's top-level
 * `lifecycle.toml` so lands at `/cnb/lifecycle.toml`, as in the official image.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { CnbError } from "@cnbkit/framework";
import type { LayerEntry } from "../oci/index.js";
import { type LifecycleDescriptor, parseLifecycleDescriptor } from "./descriptor.js";

/** The lifecycle layer's entries (file content on disk, read when the layer is written) and the release's lifecycle.toml. */
export interface ReleaseLayer {
  entries: LayerEntry[];
  descriptor: LifecycleDescriptor;
}

/** lifecycle.toml is a few hundred bytes; more than this is not a lifecycle descriptor. */
const MAX_DESCRIPTOR = 64 * 1024;

/**
 * Reads the release tarball `tgz` into the entries of the lifecycle layer, streaming each
 * file's content to `workDir` (under a numbered name, never the entry's own, so no entry can
 * write outside it). `lifecycle/lifecycle.toml`, which the first image tool stripped, is
 * left out should a tarball carry one; releases carry theirs at the top.
 * One-line {@link CnbError}s naming `where`: not a gzip'd tar, an entry that is neither file,
 * directory nor link, a path with `..`, no lifecycle.toml.
 *
 * @example
 * const { entries, descriptor } = await releaseLayer(tgz, join(work, "files-amd64"), "--version 0.21.17");
 */
export async function releaseLayer(tgz: string, workDir: string, where: string): Promise<ReleaseLayer> {
  await mkdir(workDir, { recursive: true });
  // The /cnb directory first, as the official tool writes it, owned by root, 0755.
  const entries: LayerEntry[] = [{ type: "dir", path: "cnb", mode: 0o755, uid: 0, gid: 0 }];
  let toml: string | undefined;
  const extract = tar.extract();
  const read = (async () => {
    let n = 0;
    for await (const entry of extract) {
      const h = entry.header;
      const name = posix
        .normalize(h.name)
        .replace(/^(\.?\/)+/, "")
        .replace(/\/+$/, "");
      if (name === "" || name === ".") {
        entry.resume();
        continue;
      }
      if (name === ".." || name.startsWith("../")) {
        entry.resume();
        throw new CnbError(`${where}: the release tarball has an entry outside it: "${h.name}"`);
      }
      const path = `cnb/${name}`;
      const owner = { mode: (h.mode ?? 0o644) & 0o7777, uid: 0, gid: 0 };
      if (name === "lifecycle/lifecycle.toml") {
        entry.resume();
        continue;
      }
      if (h.type === "file" || h.type === "contiguous-file") {
        if (name === "lifecycle.toml") {
          toml = await text(entry, MAX_DESCRIPTOR, `${where}: lifecycle.toml in the release tarball`);
          entries.push({ type: "file", path, size: Buffer.byteLength(toml), data: toml, ...owner });
          continue;
        }
        const sourcePath = join(workDir, String(n++));
        await pipeline(entry, createWriteStream(sourcePath));
        entries.push({ type: "file", path, size: h.size ?? 0, sourcePath, ...owner });
      } else if (h.type === "directory") {
        entries.push({ type: "dir", path, ...owner });
        entry.resume();
      } else if (h.type === "symlink") {
        entries.push({ type: "symlink", path, target: h.linkname ?? "", ...owner });
        entry.resume();
      } else if (h.type === "link") {
        entries.push({ type: "hardlink", path, target: `cnb/${h.linkname ?? ""}`, ...owner });
        entry.resume();
      } else {
        entry.resume();
        throw new CnbError(`${where}: the release tarball's "${h.name}" is a ${h.type}, not a file, directory or link`);
      }
    }
  })();
  try {
    await Promise.all([pipeline(createReadStream(tgz), createGunzip(), extract), read]);
  } catch (err) {
    if (err instanceof CnbError) throw err;
    throw new CnbError(`${where}: ${tgz} is not a gzip'd tar: ${(err as Error).message}`);
  }
  if (toml === undefined) {
    throw new CnbError(`${where}: the release tarball has no top-level lifecycle.toml`, {
      hint: "official release tarballs carry one; is the mirror serving the release's own asset?",
    });
  }
  return { entries, descriptor: parseLifecycleDescriptor(toml, `${where}: lifecycle.toml`) };
}

/** A tar entry's content as UTF-8, refusing more than `max` bytes. */
async function text(entry: AsyncIterable<unknown>, max: number, where: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry) {
    const c = chunk as Buffer;
    size += c.length;
    if (size > max) throw new CnbError(`${where} is larger than ${max} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}
