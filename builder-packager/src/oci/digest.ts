/**
 * Content digests: `sha256:<hex>` strings, their validation, and hashing while streaming.
 */
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/** A content digest such as `sha256:e3b0c442...`. Only sha256 is produced; sha512 is accepted when read. */
export type Digest = `sha256:${string}` | `sha512:${string}`;

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** True when `s` is a well-formed digest. */
export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** Throws a one-line error unless `s` is a well-formed digest; returns it typed. */
export function checkDigest(s: string, where = "digest"): Digest {
  if (!isDigest(s)) throw new Error(`${where} "${s}" is not a sha256:<64 hex> digest`);
  return s;
}

/** sha256 of bytes, as a digest. */
export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** The hex part of a digest (the blob's file name in a layout). */
export function digestHex(d: string): string {
  return d.slice(d.indexOf(":") + 1);
}

/** The algorithm part of a digest (`sha256`). */
export function digestAlgorithm(d: string): string {
  return d.slice(0, d.indexOf(":"));
}

/**
 * A pass-through stream that hashes and counts what flows through it, so a digest costs no
 * extra read of the data. Read `digest` and `size` after the stream ends.
 */
export class HashingStream extends Transform {
  private readonly hash: Hash;
  private readonly algorithm: string;
  /** Bytes seen so far. */
  size = 0;
  private result: Digest | undefined;

  constructor(algorithm: "sha256" | "sha512" = "sha256") {
    super();
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }

  /** The digest of everything that passed; only valid once the stream has ended. */
  get digest(): Digest {
    if (!this.result) this.result = `${this.algorithm}:${this.hash.digest("hex")}` as Digest;
    return this.result;
  }
}
