/**
 * Tar reading for archive.ts: tar-stream over the file, gunzipped by node:zlib, unzstd-ed by
 * zlib when Node has it (else the `zstd -dc` tool), unxz-ed by the `xz -dc` tool; each entry
 * handed to the checked writer (archive-sink.ts).
 */
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import type { PassThrough, Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import * as tar from "tar-stream";
import { CnbError } from "../errors/index.js";
import { CHUNK_BYTES, type Sink } from "./archive-sink.js";

/** The tar formats: archive.ts's ArchiveFormat but zip (a type of its own to keep the files acyclic). */
type TarFormat = "tar" | "tar.gz" | "tar.xz" | "tar.zst";

/** A byte range of the file (`end` inclusive) that holds the tar: a .deb's data member (archive-deb.ts). */
export interface TarRange {
  start: number;
  end: number;
}

/**
 * A process whose stdout is the decompressed stream; rejects `done` on a non-zero exit. With a
 * range, that range is piped to the tool's stdin instead of the tool reading the whole file.
 */
function tool(cmd: string, file: string, range?: TarRange): { out: Readable; done: Promise<void> } {
  const child = spawn(cmd, range ? ["-dc"] : ["-dc", "--", file], { stdio: ["pipe", "pipe", "pipe"] });
  // The tool may exit early on bad data: its closed stdin is not the error to report.
  child.stdin.on("error", () => {});
  if (range) {
    createReadStream(file, { ...range, highWaterMark: CHUNK_BYTES })
      .on("error", (err) => child.stdin.destroy(err))
      .pipe(child.stdin);
  } else child.stdin.end();
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "ENOENT"
          ? new CnbError(`${file}: the "${cmd}" program is needed to extract this archive but is not installed`, {
              hint: `Install ${cmd} in the build image.`,
            })
          : err,
      ),
    );
    child.on("close", (code) => {
      if (code === 0) resolve();
      else {
        const last = stderr.trim().split("\n").at(-1) ?? "";
        const line = last.replace(`${cmd}: `, "").replace(`${file}: `, "") || `exit code ${code}`;
        reject(new Error(`${cmd}: ${line}`));
      }
    });
  });
  return { out: child.stdout, done };
}

/**
 * Extracts a tar, plain or compressed, through `sink`; an entry's write error wins over the
 * parse error it causes. `range` reads only those bytes of the file (a .deb's data member).
 */
export async function extractTar(file: string, format: TarFormat, sink: Sink, range?: TarRange): Promise<void> {
  let writeError: unknown; // a failed write (ENOSPC) reaches pipeline() only as "Premature close"
  try {
    await extractTarStream(file, format, sink, range, (err) => {
      writeError ??= err;
    });
  } catch (err) {
    throw writeError ?? err;
  }
}

async function extractTarStream(
  file: string,
  format: TarFormat,
  sink: Sink,
  range: TarRange | undefined,
  onEntryError: (err: unknown) => void,
): Promise<void> {
  const extractor = tar.extract();
  // tar-stream's streams are streamx streams, which node:stream's pipeline drives fine.
  const ex = extractor as unknown as Writable;
  // pipeline() reports the first error; streamx re-emits it on destroy, after pipeline let go.
  ex.on("error", () => {});
  extractor.on("entry", (header, stream, next) => {
    // A broken archive errors the entry stream too; the pipeline below reports it once.
    stream.on("error", () => {});
    handleTarEntry(header, stream as unknown as Readable, sink).then(
      () => next(),
      (err) => {
        onEntryError(err);
        stream.resume();
        ex.destroy(err as Error);
      },
    );
  });
  const zstd = (zlib as { createZstdDecompress?: (o: { chunkSize: number }) => NodeJS.ReadWriteStream })
    .createZstdDecompress;
  if (format === "tar.xz" || (format === "tar.zst" && !zstd)) {
    const t = tool(format === "tar.xz" ? "xz" : "zstd", file, range);
    const toolDone = t.done.catch((e) => e as Error);
    let parseError: unknown;
    try {
      await pipeline(t.out, ex);
    } catch (err) {
      parseError = err;
      t.out.destroy();
    }
    const toolError = await toolDone;
    if (parseError instanceof CnbError) throw parseError;
    if (toolError) throw toolError;
    if (parseError) throw parseError;
    return;
  }
  const src = createReadStream(file, { ...range, highWaterMark: CHUNK_BYTES });
  const decompress =
    format === "tar.gz"
      ? zlib.createGunzip({ chunkSize: CHUNK_BYTES })
      : format === "tar.zst" && zstd
        ? (zstd({ chunkSize: CHUNK_BYTES }) as unknown as PassThrough)
        : null;
  if (decompress === null) {
    await pipeline(src, ex);
    return;
  }
  // A decompressor can report a late error (e.g. "unexpected end of file") after pipeline has
  // already rejected with the first one; that one is already reported, so swallow the echo.
  decompress.on("error", () => {});
  await pipeline(src, decompress, ex);
}

async function handleTarEntry(header: tar.Header, stream: Readable, sink: Sink): Promise<void> {
  const mode = header.mode ?? 0o644;
  switch (header.type) {
    case "file":
    case "contiguous-file":
    case undefined:
      await sink.file(header.name, mode, stream, header.mtime);
      return;
    case "directory":
      sink.dir(header.name, mode || 0o755);
      break;
    case "symlink":
      sink.symlink(header.name, header.linkname ?? "");
      break;
    case "link":
      sink.hardlink(header.name, header.linkname ?? "");
      break;
    default:
      // devices, FIFOs, pax globals: nothing a dependency needs.
      break;
  }
  await drain(stream);
}

/** Reads a stream to its end and drops the data (cheaper per entry than a pipeline). */
function drain(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on("end", resolve).on("close", resolve).on("error", reject).resume();
  });
}
