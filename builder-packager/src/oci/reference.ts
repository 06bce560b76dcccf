/**
 * Image references: `oci:PATH[:TAG|@DIGEST]` names an OCI layout; anything else names a
 * registry image (`[host[:port]/]repo[:tag][@sha256:...]`, Docker Hub defaults).
 */
import { CnbError } from "@cnbkit/framework";
import { type Digest, isDigest } from "./digest.js";

/** An image in an OCI layout directory. */
export interface LayoutReference {
  kind: "layout";
  /** The layout directory as written (not resolved). */
  path: string;
  tag?: string;
  digest?: Digest;
}

/** An image in a registry. */
export interface RegistryReference {
  kind: "registry";
  /** Host as the user means it (`docker.io`, `127.0.0.1:5000`, `ghcr.io`). */
  registry: string;
  /** Repository path, e.g. `library/ubuntu` or `acme/builder`. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

/** Either kind of reference. */
export type ImageReference = LayoutReference | RegistryReference;

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const REPO_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;

/** Docker Hub's name in references. */
export const DOCKER_HUB = "docker.io";

/**
 * Parses a reference; one-line {@link CnbError} when it is malformed.
 *
 * @example
 * parseReference("oci:out/app:latest")        // { kind: "layout", path: "out/app", tag: "latest" }
 * parseReference("ubuntu")                    // docker.io / library/ubuntu : latest
 * parseReference("127.0.0.1:5000/acme/bp@sha256:...")
 */
export function parseReference(input: string): ImageReference {
  const ref = input.trim();
  if (ref === "") throw new CnbError("image reference is empty");
  if (ref.startsWith("oci:")) return parseLayoutRef(ref);
  return parseRegistryRef(ref);
}

function parseLayoutRef(ref: string): LayoutReference {
  let rest = ref.slice(4);
  let digest: Digest | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0 && rest.slice(at + 1).includes(":")) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw new CnbError(`image reference "${ref}": "${d}" is not a sha256:<64 hex> digest`);
    digest = d;
    rest = rest.slice(0, at);
  }
  const [path, tag] = splitTag(rest, ref);
  rest = path;
  if (rest === "") throw new CnbError(`image reference "${ref}": oci: needs a directory, as in oci:out/app[:tag]`);
  return { kind: "layout", path: rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** Splits a trailing `:tag` (a colon after the last slash) off `rest`, validating the tag. */
function splitTag(rest: string, ref: string): [string, string | undefined] {
  const colon = rest.lastIndexOf(":");
  if (colon < 0 || colon < rest.lastIndexOf("/")) return [rest, undefined];
  const tag = rest.slice(colon + 1);
  if (!TAG_RE.test(tag)) {
    throw new CnbError(`image reference "${ref}": tag "${tag}" may only contain letters, digits, '_', '.' and '-'`);
  }
  return [rest.slice(0, colon), tag];
}

function parseRegistryRef(ref: string): RegistryReference {
  let rest = ref;
  let digest: Digest | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw new CnbError(`image reference "${ref}": "${d}" is not a sha256:<64 hex> digest`);
    digest = d;
    rest = rest.slice(0, at);
  }
  const [path, explicitTag] = splitTag(rest, ref);
  rest = path;
  const parts = rest.split("/");
  let registry = DOCKER_HUB;
  const first = parts[0] ?? "";
  if (
    parts.length > 1 &&
    (first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("["))
  ) {
    registry = first;
    parts.shift();
    if (!HOST_RE.test(registry))
      throw new CnbError(`image reference "${ref}": "${registry}" is not a valid registry host`);
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift("library");
  for (const p of parts) {
    if (!REPO_COMPONENT_RE.test(p)) {
      throw new CnbError(
        `image reference "${ref}": repository part "${p}" must be lowercase letters, digits and separators (. _ -)`,
      );
    }
  }
  const repository = parts.join("/");
  if (repository.length > 255) throw new CnbError(`image reference "${ref}": repository name is longer than 255`);
  const tag = explicitTag ?? (digest ? undefined : "latest");
  return { kind: "registry", registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The reference as a string (`oci:path:tag`, `host/repo:tag@digest`). */
export function formatReference(ref: ImageReference): string {
  if (ref.kind === "layout") {
    return `oci:${ref.path}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
  }
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** True for loopback hosts (127.0.0.0/8, localhost, [::1]), which default to plain HTTP. */
export function isLoopbackHost(registry: string): boolean {
  const host = registry.startsWith("[") ? registry.slice(0, registry.indexOf("]") + 1) : registry.split(":")[0]!;
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The host that serves the v2 API for a registry name (Docker Hub's differs from its name). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? "registry-1.docker.io" : registry;
}
