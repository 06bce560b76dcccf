/**
 * Reproducible tarballs for the local runtimes the reference builder carries (CPython, JDK):
 * the same files give the same bytes, whenever and wherever they were made. That keeps the
 * builder's digest stable, and it makes two makes racing (the main job beside the tests)
 * harmless: each renames the same bytes into place, so a sha256 taken by either stays true.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

/**
 * Writes `<cwd>/<top>` as a reproducible tar.gz (entries sorted, owner 0:0, mtime
 * 1980-01-01T00:00:01Z, no group/other write, gzip without name or time), streaming GNU tar
 * through Node's gzip into `file`; returns its sha256. gzip level 6: level 9 took 3x as long
 * here for 1% less.
 */
export async function writeDeterministicTarGz(cwd: string, top: string, file: string): Promise<string> {
  const tar = spawn(
    "tar",
    [
      "--sort=name",
      "--format=gnu",
      "--mtime=@315532801",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "--mode=go-w",
      "-C",
      cwd,
      "-cf",
      "-",
      top,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  tar.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number>((done) => tar.on("close", (c) => done(c ?? 1)));
  await pipeline(tar.stdout, createGzip(), createWriteStream(file));
  const code = await exited;
  if (code !== 0) throw new Error(`tar of ${join(cwd, top)} exited ${code}: ${stderr.trim()}`);
  return sha256File(file);
}

/**
 * {@link writeDeterministicTarGz} into a file beside `file`, renamed into place when whole:
 * a reader never sees half a tarball. Returns its sha256.
 */
export async function writeDeterministicTarGzAtomic(cwd: string, top: string, file: string): Promise<string> {
  const tmp = `${file}.${process.pid}.tmp`;
  const sha256 = await writeDeterministicTarGz(cwd, top, tmp);
  await rename(tmp, file);
  return sha256;
}

/** Lower-case hex sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(file), h);
  return h.digest("hex");
}
