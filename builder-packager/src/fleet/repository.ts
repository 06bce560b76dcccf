/**
 * One repository of a fleet, read the way a scan reads it: its tags, a manifest's digest
 * without its body, manifests and small blobs, wherever the repository lives (a registry
 * repository or an OCI layout). It counts every byte it hands out, by kind, so the scan can
 * say what an image cost to know.
 */
import type { Readable } from "node:stream";
import {
  type Digest,
  isIndexType,
  OciLayout,
  type ParsedManifest,
  parseManifest,
  type RegistryClient,
} from "../oci/index.js";

/** What the bytes read were for. */
export type ReadKind = "manifests" | "configs" | "sboms" | "proofs";

/** Bytes read by kind, and requests made. */
export interface ReadStats {
  bytes: Record<ReadKind, number>;
  requests: number;
}

/** A new, zeroed {@link ReadStats}. */
export function readStats(): ReadStats {
  return { bytes: { manifests: 0, configs: 0, sboms: 0, proofs: 0 }, requests: 0 };
}

/** A manifest's identity, as HEAD gives it. */
export interface ManifestHead {
  digest: Digest;
  mediaType: string;
  isIndex: boolean;
}

/** Read access to one repository. */
export interface FleetRepository {
  /** `registry/repository` or `oci:/abs/layout`. */
  readonly name: string;
  /** Every tag (cosign's `sha256-….sig`/`.att` included), in the registry's order. */
  tags(): Promise<string[]>;
  /** The manifest a tag or digest names, without its body; undefined when there is none. */
  head(reference: string): Promise<ManifestHead | undefined>;
  /** A manifest or index by tag or digest, verified. */
  manifest(reference: string, kind?: ReadKind): Promise<ParsedManifest>;
  /** A small blob (a config, an SBOM document, a signature), verified. */
  blob(digest: Digest, kind: ReadKind): Promise<Buffer>;
  /** A blob as a verified stream (an SBOM layer). */
  blobStream(digest: Digest, kind: ReadKind): Promise<Readable>;
}

/** A registry repository, through a shared client (one token cache, one connection pool). */
export function registryRepository(client: RegistryClient, repository: string, stats: ReadStats): FleetRepository {
  return {
    name: `${client.registry}/${repository}`,
    async tags() {
      const all: string[] = [];
      for await (const page of client.tags(repository)) {
        stats.requests++;
        all.push(...page);
      }
      return all;
    },
    async head(reference) {
      stats.requests++;
      const h = await client.headManifest(repository, reference);
      return h && { digest: h.digest, mediaType: h.mediaType, isIndex: isIndexType(h.mediaType) };
    },
    async manifest(reference, kind = "manifests") {
      stats.requests++;
      const m = await client.getManifest(repository, reference);
      stats.bytes[kind] += m.bytes.length;
      return m;
    },
    async blob(digest, kind) {
      stats.requests++;
      const bytes = await client.getBlobBytes(repository, digest);
      stats.bytes[kind] += bytes.length;
      return bytes;
    },
    async blobStream(digest, kind) {
      stats.requests++;
      const stream = await client.getBlob(repository, digest);
      stream.on("data", (c: Buffer) => {
        stats.bytes[kind] += c.length;
      });
      return stream;
    },
  };
}

/** Runs a function when fewer than a bound of them are running (a scan's requests in flight). */
export type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

/** A {@link Limit} of `limit` at once, the others waiting in the order they came. */
export function concurrencyLimit(limit: number): Limit {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active >= limit) await new Promise<void>((res) => waiting.push(res));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * `repo` with each request going through `limit`, so the bound counts requests the registry
 * has, not the scan's work around them: a slot is held while a manifest or config is on its
 * way, not while it is hashed, parsed and made into a record, so the registry always has the
 * bound's worth of requests to answer (the client's CPU no longer holds slots it does not use).
 * A streamed blob holds its slot until its answer starts.
 */
export function limitedRepository(repo: FleetRepository, limit: Limit): FleetRepository {
  return {
    name: repo.name,
    tags: () => limit(() => repo.tags()),
    head: (reference) => limit(() => repo.head(reference)),
    manifest: (reference, kind) => limit(() => repo.manifest(reference, kind)),
    blob: (digest, kind) => limit(() => repo.blob(digest, kind)),
    blobStream: (digest, kind) => limit(() => repo.blobStream(digest, kind)),
  };
}

/** An OCI layout on this machine (its tags are index.json's `org.opencontainers.image.ref.name`s). */
export async function layoutRepository(dir: string, stats: ReadStats): Promise<FleetRepository> {
  const layout = await OciLayout.open(dir);
  return {
    name: `oci:${dir}`,
    tags: () => layout.tags(),
    async head(reference) {
      const d = await layout.descriptor(reference).catch(() => undefined);
      return d && { digest: d.digest, mediaType: d.mediaType, isIndex: isIndexType(d.mediaType) };
    },
    async manifest(reference, kind = "manifests") {
      const d = await layout.descriptor(reference);
      const bytes = await layout.readBlob(d.digest);
      stats.bytes[kind] += bytes.length;
      return parseManifest(bytes, d.mediaType, `oci:${dir}@${d.digest}`);
    },
    async blob(digest, kind) {
      const bytes = await layout.readBlob(digest);
      stats.bytes[kind] += bytes.length;
      return bytes;
    },
    async blobStream(digest, kind) {
      const stream = await layout.blobStream(digest);
      stream.on("data", (c: Buffer) => {
        stats.bytes[kind] += c.length;
      });
      return stream;
    },
  };
}
