/**
 * Verified downloads of inventory dependencies.
 *
 * The body streams through sha256 into a temp file in the destination directory; the file
 * is renamed to its final name only once the checksum matches, so a failed or interrupted
 * download leaves nothing behind. Network errors, 5xx and 429 are retried with exponential
 * back-off (Retry-After is honoured, up to a cap; http-fetch.ts); other 4xx and certificate
 * errors (tls-trust.ts: they never heal on retry) fail at once. `file://` URIs
 * (offline buildpackages) go through the same verification. dependency-mapping bindings and
 * mirrors (see mirrors.ts) decide the URI, and `cacheDir` keeps verified files by sha256.
 *
 * @example
 * const file = await download(dep, layer.path, { env: process.env, bindings, log, cacheDir });
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, mkdir, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { CnbError } from "../errors/index.js";
import { redactUri, resolveUri } from "./mirrors.js";
import { fetchLine } from "./fetch-line.js";
import { isFile } from "../fs/index.js";
import type { DownloadOptions, DownloadTarget } from "./download-options.js";
import { fetchWithRetries, hashing } from "./http-fetch.js";

export type { DownloadLog, DownloadOptions, DownloadTarget } from "./download-options.js";

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Downloads `dep` into `destDir` and returns the verified file's path.
 *
 * @throws CnbError one line naming the dependency and URI: checksum mismatch, 404 and other
 * 4xx, an untrusted or invalid TLS certificate (not retried; the hint names the
 * ca-certificates binding), unreachable host, retries exhausted, missing file:// source.
 */
export async function download(dep: DownloadTarget, destDir: string, opts: DownloadOptions): Promise<string> {
  const label = [dep.id, dep.version].filter(Boolean).join(" ") || basename(safePath(dep.uri)) || dep.uri;
  const sha256 = dep.sha256.toLowerCase();
  if (!HEX64.test(sha256)) {
    throw new CnbError(`${label}: sha256 "${dep.sha256}" is not a 64-character hex sha256`);
  }
  const name = sanitizeName(opts.fileName ?? (basename(safePath(dep.uri)) || sha256));
  const dest = join(destDir, name);
  await mkdir(destDir, { recursive: true });

  if (opts.cacheDir) {
    const cached = join(opts.cacheDir, sha256);
    if (await isFile(cached)) {
      if ((await hashFile(cached)) === sha256) {
        opts.log?.detail(`Reusing cached download of ${label} (sha256 ${sha256.slice(0, 12)})`);
        await copyAtomic(cached, dest);
        return dest;
      }
      opts.log?.warn(`cached download ${cached} does not match its sha256; downloading again`);
      await rm(cached, { force: true });
    }
  }

  const resolved = await resolveUri({ uri: dep.uri, sha256 }, opts.env, opts.bindings ?? []);
  const shown = redactUri(resolved.uri);
  const via = resolved.via === "original" ? "" : ` (${resolved.via} from ${resolved.source})`;
  opts.log?.detail(fetchLine(label, resolved.uri, shown, via));

  if (opts.inPlace && resolved.uri.startsWith("file:")) {
    const path = fileURLToPath(resolved.uri);
    if (!(await isFile(path))) {
      throw new CnbError(`${label}: ${path} does not exist (from ${resolved.uri})`, {
        hint: "An offline buildpackage must carry the dependency at this path.",
      });
    }
    const got = await hashFile(path);
    if (got !== sha256) {
      throw new CnbError(`${label}: sha256 mismatch for ${shown}: expected ${sha256}, got ${got}`, {
        hint: "The buildpack's copy of the dependency is damaged; package the buildpack again.",
      });
    }
    opts.log?.debug?.(`verified sha256 ${sha256} for ${path} (in place)`);
    return path;
  }

  const tmp = join(destDir, `.${name}.part-${randomBytes(6).toString("hex")}`);
  try {
    const got = resolved.uri.startsWith("file:")
      ? await copyVerified(resolved.uri, tmp, label)
      : await fetchWithRetries(resolved.uri, tmp, label, opts, resolved.via !== "original");
    if (got !== sha256) {
      throw new CnbError(`${label}: sha256 mismatch for ${shown}: expected ${sha256}, got ${got}`, {
        hint:
          resolved.via === "original"
            ? "The file changed upstream or was corrupted in transit; check the sha256 in buildpack.toml."
            : `The ${resolved.via} (${resolved.source}) serves a different file than buildpack.toml describes.`,
      });
    }
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  opts.log?.debug?.(`verified sha256 ${sha256} for ${dest}`);
  if (opts.cacheDir) {
    try {
      await mkdir(opts.cacheDir, { recursive: true });
      await copyAtomic(dest, join(opts.cacheDir, sha256));
    } catch (err) {
      opts.log?.warn(`could not cache ${label} in ${opts.cacheDir}: ${(err as Error).message}`);
    }
  }
  return dest;
}

function safePath(uri: string): string {
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return uri;
  }
}

function sanitizeName(name: string): string {
  const clean = name.replace(/[/\\\0]/g, "_");
  return clean === "." || clean === ".." || clean === "" ? "download" : clean;
}

async function hashFile(path: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(path), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) h.update(chunk);
  });
  return h.digest("hex");
}

async function copyAtomic(from: string, to: string): Promise<void> {
  const tmp = `${to}.part-${randomBytes(6).toString("hex")}`;
  try {
    await copyFile(from, tmp);
    await rename(tmp, to);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Streams a file:// source into `tmp`, returning its sha256. */
async function copyVerified(uri: string, tmp: string, label: string): Promise<string> {
  const path = fileURLToPath(uri);
  if (!(await isFile(path))) {
    throw new CnbError(`${label}: ${path} does not exist (from ${uri})`, {
      hint: "An offline buildpackage must carry the dependency at this path.",
    });
  }
  const h = createHash("sha256");
  await pipeline(createReadStream(path), hashing(h), createWriteStream(tmp, { mode: 0o644 }));
  return h.digest("hex");
}
