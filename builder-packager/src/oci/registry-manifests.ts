/**
 * Manifests and indexes in a registry: read by tag or digest and verified, HEAD-checked
 * without downloading, put under a tag or their digest, and an image's OCI 1.1 referrers.
 */
import { CnbError } from "@cnbkit/framework";
import { type Digest, isDigest, sha256 } from "./digest.js";
import { type ImageIndex, MANIFEST_ACCEPT, MEDIA_TYPES, type ParsedManifest, parseManifest } from "./image.js";
import type { HttpAnswer } from "./registry-http.js";
import type { RegistrySession } from "./registry-request.js";

/**
 * Gets a manifest or index by tag or digest (OCI and Docker v2 types accepted) and verifies
 * its digest: against the reference when it is one, else against Docker-Content-Digest.
 */
export async function getManifest(session: RegistrySession, repo: string, reference: string): Promise<ParsedManifest> {
  const { registry } = session;
  const { res, bytes } = await session.requestBytes({
    method: "GET",
    url: `/v2/${repo}/manifests/${reference}`,
    repo,
    headers: { accept: MANIFEST_ACCEPT },
    ok: [200, 404],
    what: `GET manifest ${repo}:${reference}`,
  });
  if (res.status === 404) {
    throw new CnbError(`${registry}/${repo}${isDigest(reference) ? "@" : ":"}${reference}: not found in the registry`);
  }
  const expected = isDigest(reference) ? reference : res.headers.get("docker-content-digest");
  // parseManifest hashes the bytes (the digest it returns is theirs): hashed once, checked before use
  let parsed: ParsedManifest;
  try {
    parsed = parseManifest(bytes, res.headers.get("content-type") ?? undefined, `${registry}/${repo}:${reference}`);
  } catch (err) {
    // bytes that are not the manifest asked for say so before they say what is wrong in them
    mismatch(registry, repo, reference, expected, sha256(bytes));
    throw err;
  }
  mismatch(registry, repo, reference, expected, parsed.digest);
  // A registry keeps the blobs of every manifest it serves in that repository.
  if (parsed.kind === "manifest") {
    session.noteBlob(repo, parsed.manifest.config.digest);
    for (const d of parsed.manifest.layers) session.noteBlob(repo, d.digest);
  }
  return parsed;
}

/** Throws when a manifest's bytes have another digest than the one expected (a sha256 one). */
function mismatch(registry: string, repo: string, reference: string, expected: string | null, actual: Digest): void {
  if (expected?.startsWith("sha256:") && expected !== actual) {
    throw new CnbError(
      `registry ${registry}: manifest ${repo}:${reference} has digest ${actual}, expected ${expected}`,
    );
  }
}

/**
 * The OCI 1.1 referrers of `digest` (an image index), or undefined when the registry does
 * not serve the referrers API (distribution 2.x answers 404 for the route).
 */
export async function referrers(
  session: RegistrySession,
  repo: string,
  digest: Digest,
): Promise<ImageIndex | undefined> {
  const { res, bytes } = await session.requestBytes({
    method: "GET",
    url: `/v2/${repo}/referrers/${digest}`,
    repo,
    headers: { accept: MEDIA_TYPES.index },
    ok: [200, 404, 400, 405],
    what: `GET referrers of ${repo}@${digest}`,
  });
  if (res.status !== 200 || !(res.headers.get("content-type") ?? "").includes(MEDIA_TYPES.index)) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8")) as ImageIndex;
  } catch {
    throw new CnbError(`registry ${session.registry}: referrers of ${repo}@${digest} are not JSON`);
  }
}

/** The headers of a HEAD of a manifest; undefined when there is none. */
export async function manifestHeaders(
  session: RegistrySession,
  repo: string,
  reference: string,
): Promise<HttpAnswer["headers"] | undefined> {
  const res = await session.request({
    method: "HEAD",
    url: `/v2/${repo}/manifests/${reference}`,
    repo,
    headers: { accept: MANIFEST_ACCEPT },
    ok: [200, 404],
    what: `HEAD manifest ${repo}:${reference}`,
  });
  await res.body?.cancel();
  return res.status === 200 ? res.headers : undefined;
}

/**
 * The digest, media type and size of the manifest a tag or digest names (HEAD), without
 * downloading it; undefined when there is none. A fleet re-scan compares these to what it
 * saw before and reads nothing more of an unchanged image.
 */
export async function headManifest(
  session: RegistrySession,
  repo: string,
  reference: string,
): Promise<{ digest: Digest; mediaType: string; size: number } | undefined> {
  const headers = await manifestHeaders(session, repo, reference);
  if (!headers) return undefined;
  const digest = headers.get("docker-content-digest") ?? (isDigest(reference) ? reference : undefined);
  if (!digest || !isDigest(digest)) {
    throw new CnbError(
      `registry ${session.registry}: HEAD manifest ${repo}:${reference} gave no Docker-Content-Digest`,
    );
  }
  return {
    digest,
    mediaType: headers.get("content-type") ?? "",
    size: Number(headers.get("content-length") ?? 0),
  };
}

/** Puts manifest or index bytes under a tag or their digest; returns the digest. */
export async function putManifest(
  session: RegistrySession,
  repo: string,
  reference: string,
  bytes: Buffer,
  mediaType: string,
): Promise<Digest> {
  const digest = sha256(bytes);
  const res = await session.request({
    method: "PUT",
    url: `/v2/${repo}/manifests/${reference}`,
    repo,
    push: true,
    headers: { "content-type": mediaType, "content-length": String(bytes.length) },
    body: () => bytes,
    ok: [201, 200],
    what: `PUT manifest ${repo}:${reference}`,
  });
  await res.body?.cancel();
  const got = res.headers.get("docker-content-digest");
  if (got && got !== digest) {
    throw new CnbError(
      `registry ${session.registry}: stored manifest ${repo}:${reference} as ${got}, expected ${digest}`,
    );
  }
  return digest;
}
