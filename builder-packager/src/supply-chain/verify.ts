/**
 * `cnbkit verify`: checks an image as cosign would (a signature over its current digest, its
 * attestations' DSSE signatures and subjects), then what a platform team's policy asks of
 * its provenance: the builder, the buildpacks and the source it was built from. Each failure
 * is one line; the first one found is reported.
 */
import { CnbError } from "@cnbkit/framework";
import {
  type Digest,
  formatReference,
  type ImageReference,
  openImageSource,
  parseReference,
  type RegistryClient,
} from "../oci/index.js";
import { openEnvelope } from "./dsse.js";
import type { VerifyKey } from "./keys.js";
import type { ProvenancePredicate, ResourceDescriptor } from "./provenance.js";
import { SIGNATURE_ANNOTATION } from "./sign-image.js";
import { claimedDigest, SIMPLE_SIGNING_MEDIA_TYPE } from "./simple-signing.js";
import { isStatementAbout, PREDICATE_TYPES, type Statement } from "./statement.js";
import { type ArtifactStore, artifactStore, artifactTag } from "./storage.js";

/** What the provenance must say, each optional (pack-like flags of `cnbkit verify`). */
export interface VerifyPolicy {
  /** The builder: the reference it was built with, or its digest (`sha256:…` or `ref@sha256:…`). */
  builder?: string;
  /** Buildpack ids (optionally `id@version`) that must have built the image. */
  buildpacks?: string[];
  /** The git remote the source came from (https or ssh form; `.git` and a trailing slash ignored). */
  source?: string;
}

/** What {@link verifyImage} found, all of it verified. */
export interface VerifyReport {
  digest: Digest;
  /** Signatures over the digest made by the key. */
  signatures: number;
  /** Verified attestations, by predicate type. */
  attestations: Record<string, number>;
  /** The image's SLSA provenance. */
  provenance: ProvenancePredicate;
}

/** The digest `ref` names now (a tag is resolved; a digest reference is taken as is). */
export async function resolveDigest(ref: ImageReference, clients?: Map<string, RegistryClient>): Promise<Digest> {
  if (ref.digest) return ref.digest;
  const src = await openImageSource(ref, clients ? { clients } : {});
  return (await src.manifest()).digest as Digest;
}

/**
 * Verifies `image` against `key` and `policy`. Throws a one-line {@link CnbError} for an
 * unsigned image, a signature by another key or over another digest, an attestation that
 * does not verify, no provenance, or a policy the provenance does not meet.
 *
 * @example
 * const report = await verifyImage("127.0.0.1:5000/acme/app:1", await loadVerifyKey("cosign.pub"),
 *   { builder: "127.0.0.1:5000/acme/builder:1", buildpacks: ["cnbkit/nodejs"] });
 */
export async function verifyImage(image: string, key: VerifyKey, policy: VerifyPolicy = {}): Promise<VerifyReport> {
  const ref = parseReference(image);
  const clients = new Map<string, RegistryClient>();
  const digest = await resolveDigest(ref, clients);
  const store = artifactStore(ref, clients);
  const signatures = await checkSignatures(store, image, digest, key);
  const statements = await checkAttestations(store, image, digest, key);
  const attestations: Record<string, number> = {};
  for (const s of statements) attestations[s.predicateType] = (attestations[s.predicateType] ?? 0) + 1;
  const provenance = statements.find((s) => s.predicateType === PREDICATE_TYPES.slsaProvenance)?.predicate as
    | ProvenancePredicate
    | undefined;
  if (!provenance) {
    throw new CnbError(`${image} (${digest}) has no SLSA provenance attestation`, {
      hint: "Build it with `cnbkit build --sign-key`, which attests provenance with the signature.",
    });
  }
  checkPolicy(image, provenance, policy);
  return { digest, signatures, attestations, provenance };
}

async function checkSignatures(store: ArtifactStore, image: string, digest: Digest, key: VerifyKey): Promise<number> {
  const layers = (await store.read(digest, "sig")).filter((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE);
  if (layers.length === 0) {
    throw new CnbError(`${image} (${digest}) is not signed: ${store.where} has no ${artifactTag(digest, "sig")}`, {
      hint: "Sign it with `cnbkit sign <image> --key cosign.key` (or build with --sign-key).",
    });
  }
  const byKey = layers.filter((l) =>
    key.verify(l.bytes, Buffer.from(l.annotations[SIGNATURE_ANNOTATION] ?? "", "base64")),
  );
  if (byKey.length === 0) {
    throw new CnbError(`${image} (${digest}): none of its ${layers.length} signature(s) was made with this key`);
  }
  const valid = byKey.filter((l) => claimedDigest(l.bytes) === digest);
  if (valid.length === 0) {
    throw new CnbError(`${image}: its signature names ${claimedDigest(byKey[0]!.bytes)}, not the image's ${digest}`);
  }
  return valid.length;
}

async function checkAttestations(
  store: ArtifactStore,
  image: string,
  digest: Digest,
  key: VerifyKey,
): Promise<Statement[]> {
  const layers = await store.read(digest, "att");
  const statements: Statement[] = [];
  for (const [i, layer] of layers.entries()) {
    const statement = openEnvelope(layer.bytes, key);
    const what = `attestation ${i + 1} of ${layers.length} (${layer.annotations.predicateType ?? "no predicate type"})`;
    if (statement === undefined) {
      throw new CnbError(
        `${image} (${digest}): ${what} does not verify with this key: it was changed or signed by another key`,
      );
    }
    if (!isStatementAbout(statement, digest)) {
      throw new CnbError(`${image} (${digest}): ${what} is about another image (its subject is not ${digest})`);
    }
    statements.push(statement);
  }
  return statements;
}

/** A git URL as compared: no scheme prefix `git+`, no `.git`, no trailing slash, lower-case host. */
function normalizeGitUrl(url: string): string {
  let u = url
    .trim()
    .replace(/^git\+/, "")
    .replace(/\/+$/, "")
    .replace(/\.git$/, "");
  const scp = /^[\w.-]+@([^:/]+):(.+)$/.exec(u); // git@host:org/repo
  if (scp) u = `ssh://${scp[1]}/${scp[2]}`;
  return u.replace(/^(https?|ssh):\/\/(?:[^@/]+@)?([^/]+)/, (_m, _s, host: string) => `//${host.toLowerCase()}`);
}

/** True when two image references name the same image (`:latest` is the tag a bare name means). */
function sameImageRef(a: string, b: string): boolean {
  const norm = (ref: string) => {
    try {
      const r = parseReference(ref);
      return formatReference({ ...r, tag: r.tag ?? (r.digest ? undefined : "latest") });
    } catch {
      return ref;
    }
  };
  return norm(a) === norm(b);
}

function dependency(p: ProvenancePredicate, name: string): ResourceDescriptor | undefined {
  return p.buildDefinition.resolvedDependencies.find((d) => d.name === name);
}

function checkPolicy(image: string, p: ProvenancePredicate, policy: VerifyPolicy): void {
  if (policy.builder) {
    const builder = dependency(p, "builder");
    const want = policy.builder;
    const wantDigest = /sha256:[0-9a-f]{64}$/.exec(want)?.[0];
    const gotDigest = builder?.digest?.sha256 ? `sha256:${builder.digest.sha256}` : undefined;
    const ok =
      (builder?.uri !== undefined && sameImageRef(builder.uri, want)) ||
      (wantDigest !== undefined && wantDigest === gotDigest);
    if (!ok) {
      throw new CnbError(
        `${image} was built with builder ${builder?.uri ?? "(none recorded)"}${gotDigest ? `@${gotDigest}` : ""}, not ${want}`,
      );
    }
  }
  for (const bp of policy.buildpacks ?? []) {
    const [id, version] = bp.split("@") as [string, string | undefined];
    const hit = dependency(p, `buildpack:${id}`);
    if (!hit || (version && hit.uri !== `urn:cnb:buildpack:${id}@${version}`)) {
      const used = p.buildDefinition.resolvedDependencies
        .filter((d) => d.name?.startsWith("buildpack:"))
        .map((d) => d.uri?.replace(/^urn:cnb:buildpack:/, ""));
      throw new CnbError(`${image} was not built by buildpack ${bp} (its buildpacks: ${used.join(", ") || "none"})`);
    }
  }
  if (policy.source) {
    const source = dependency(p, "source");
    const got = source?.uri ? normalizeGitUrl(source.uri) : undefined;
    if (got !== normalizeGitUrl(policy.source)) {
      throw new CnbError(
        `${image} was built from ${source?.uri ? source.uri.replace(/^git\+/, "") : "a source tree that is not a git checkout"}, not ${policy.source}`,
      );
    }
  }
}
