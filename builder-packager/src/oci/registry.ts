/**
 * A client for the OCI distribution API (registry v2), on node:http with a keep-alive pool
 * (registry-http.ts; through the proxy-aware fetch where HTTP(S)_PROXY applies).
 *
 * It handles anonymous, basic and bearer-token auth (tokens cached per scope), retries with
 * back-off on 5xx, 429 and dropped connections (bounded), checks blobs with HEAD before
 * uploading, uploads monolithically or in chunks streamed from disk, mounts blobs across
 * repositories, and verifies the digest of everything it pulls. Registries use HTTPS unless
 * `insecure` is set; loopback ones fall back to plain HTTP when they do not speak TLS
 * (registry-tls.ts).
 *
 * This class is the API; what it does lives beside it, one concern a file: one request with
 * auth and retries (registry-request.ts, registry-auth.ts, registry-retry.ts), blob uploads
 * (registry-upload.ts) and downloads (blob-download.ts), manifests and referrers
 * (registry-manifests.ts), the catalog and tag lists (registry-lists.ts).
 */
import type { Readable } from "node:stream";
import { type BlobDownload, downloadBlob, downloadBlobBytes } from "./blob-download.js";
import type { Digest } from "./digest.js";
import type { ImageIndex, ParsedManifest } from "./image.js";
import { listPages } from "./registry-lists.js";
import * as manifests from "./registry-manifests.js";
import { type RegistryOptions, RegistrySession, type RegistryStats } from "./registry-request.js";
import { StallWatch } from "./registry-stall.js";
import * as upload from "./registry-upload.js";
import type { BlobUpload, PutBlobOptions, PutBlobResult } from "./registry-upload.js";

export { mapLimit } from "./map-limit.js";
export { RegistryRefusal } from "./registry-auth.js";
export type { RegistryOptions, RegistryStats } from "./registry-request.js";
export { type BlobUpload, fileBlob, type PutBlobOptions, type PutBlobResult } from "./registry-upload.js";

/**
 * A distribution-API client for one registry host.
 *
 * @example
 * const reg = new RegistryClient("127.0.0.1:5000");
 * await reg.putBlob("acme/bp", fileBlob(path, layer.digest, layer.size));
 * await reg.putManifest("acme/bp", "latest", bytes, MEDIA_TYPES.manifest);
 */
export class RegistryClient {
  /** The registry as named in references (`docker.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  private readonly session: RegistrySession;

  constructor(registry: string, options: RegistryOptions = {}) {
    this.registry = registry;
    this.session = new RegistrySession(registry, options);
  }

  /** Base URL of the API (`https://registry.corp`, `http://127.0.0.1:5000`). */
  get base(): string {
    return this.session.base;
  }

  /** Counters since construction. */
  get stats(): RegistryStats {
    return this.session.stats;
  }

  /** Checks that the registry speaks the v2 API (and learns its auth challenge). */
  async ping(): Promise<void> {
    const res = await this.session.request({ method: "GET", url: "/v2/", ok: [200], what: "ping /v2/" });
    await res.body?.cancel();
  }

  /** Records that `repo` holds `digest`: a later push of it to another repository mounts it. */
  noteBlob(repo: string, digest: Digest): void {
    this.session.noteBlob(repo, digest);
  }

  /** True when the repository already has the blob (HEAD). */
  hasBlob(repo: string, digest: Digest, push = false): Promise<boolean> {
    return upload.hasBlob(this.session, repo, digest, push);
  }

  /**
   * Uploads a blob unless the repository has it: HEAD, then a cross-repo mount (from
   * `mountFrom`, else from a repository this client saw holding the blob), then a
   * monolithic PUT (small blobs) or chunked PATCHes.
   */
  putBlob(repo: string, blob: BlobUpload, options: PutBlobOptions = {}): Promise<PutBlobResult> {
    return upload.putBlob(this.session, repo, blob, options);
  }

  /**
   * Streams a blob, failing at the end if its content does not match `digest`. A download
   * that drops or stalls midway is resumed with a Range request (blob-download.ts); `size`
   * (from the descriptor) lets a short body be told from a whole one.
   */
  async getBlob(repo: string, digest: Digest, size?: number): Promise<Readable> {
    return downloadBlob(this.blobDownload(repo, digest, size));
  }

  /** Reads a whole small blob (a config) and verifies it (resumed as {@link getBlob} is). */
  async getBlobBytes(repo: string, digest: Digest, size?: number): Promise<Buffer> {
    return downloadBlobBytes(this.blobDownload(repo, digest, size));
  }

  /** What {@link downloadBlob} needs to fetch one blob of `repo` through this client. */
  private blobDownload(repo: string, digest: Digest, size?: number): BlobDownload {
    const { session } = this;
    const watch = new StallWatch(session.opts.stallTimeoutMs);
    return {
      registry: this.registry,
      repo,
      digest,
      ...(size !== undefined ? { size } : {}),
      attempts: session.opts.attempts,
      backoffMs: session.opts.backoffMs,
      watch,
      onRetry: () => session.stats.retries++,
      open: (offset) =>
        session.request({
          method: "GET",
          url: `/v2/${repo}/blobs/${digest}`,
          repo,
          headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
          ok: [200, 206, 404, 416],
          what: `GET blob ${digest} of ${repo}`,
          watch,
        }),
    };
  }

  /**
   * Gets a manifest or index by tag or digest (OCI and Docker v2 types accepted) and verifies
   * its digest: against the reference when it is one, else against Docker-Content-Digest.
   */
  getManifest(repo: string, reference: string): Promise<ParsedManifest> {
    return manifests.getManifest(this.session, repo, reference);
  }

  /**
   * The OCI 1.1 referrers of `digest` (an image index), or undefined when the registry does
   * not serve the referrers API (distribution 2.x answers 404 for the route).
   */
  referrers(repo: string, digest: Digest): Promise<ImageIndex | undefined> {
    return manifests.referrers(this.session, repo, digest);
  }

  /** True when the manifest exists (HEAD), without downloading it. */
  async hasManifest(repo: string, reference: string): Promise<boolean> {
    return (await manifests.manifestHeaders(this.session, repo, reference)) !== undefined;
  }

  /**
   * The digest, media type and size of the manifest a tag or digest names (HEAD), without
   * downloading it; undefined when there is none. A fleet re-scan compares these to what it
   * saw before and reads nothing more of an unchanged image.
   */
  headManifest(
    repo: string,
    reference: string,
  ): Promise<{ digest: Digest; mediaType: string; size: number } | undefined> {
    return manifests.headManifest(this.session, repo, reference);
  }

  /** Puts manifest or index bytes under a tag or their digest; returns the digest. */
  putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<Digest> {
    return manifests.putManifest(this.session, repo, reference, bytes, mediaType);
  }

  /**
   * The registry's repositories (`/v2/_catalog`), a page at a time, following its `Link`
   * headers. A registry that serves no catalog (404, or a refusal) is one line that says how
   * else to name the images.
   */
  async *repositories(pageSize = 1000): AsyncGenerator<string[]> {
    yield* listPages(this.session, {
      first: `/v2/_catalog?n=${pageSize}`,
      repo: undefined,
      extraScopes: ["registry:catalog:*"],
      field: "repositories",
      what: "catalog",
    });
  }

  /** A repository's tags (`/v2/<repo>/tags/list`), a page at a time; none for a repository that is gone. */
  async *tags(repo: string, pageSize = 1000): AsyncGenerator<string[]> {
    yield* listPages(this.session, {
      first: `/v2/${repo}/tags/list?n=${pageSize}`,
      repo,
      extraScopes: [],
      field: "tags",
      what: `tags of ${repo}`,
    });
  }
}
