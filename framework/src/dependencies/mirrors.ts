/**
 * Where a dependency is really fetched from: dependency-mapping bindings, then dependency
 * mirrors, with the semantics Paketo's libpak and packit document.
 *
 * - **dependency-mapping** binding (Paketo RFC 0010): an entry named by the artifact's
 *   sha256 whose content is the URI to use instead. The checksum still has to match.
 * - **Mirrors** replace the scheme, credentials, host and port of the original URI and keep
 *   its path: `BP_DEPENDENCY_MIRROR=https://mirror.example/deps/{originalHost}` turns
 *   `https://nodejs.org/dist/v24/node.tar.xz` into
 *   `https://mirror.example/deps/nodejs.org/dist/v24/node.tar.xz`. A mirror value may end in
 *   `,skip-path=/prefix` to drop that prefix from the original path (libpak's option).
 *   Mirrors come from `BP_DEPENDENCY_MIRROR_<HOST>` (host upper-cased, `.` → `_`, `-` → `__`,
 *   as Paketo encodes it: `download.bell-sw.com` → `BP_DEPENDENCY_MIRROR_DOWNLOAD_BELL__SW_COM`),
 *   `BP_DEPENDENCY_MIRROR`, and one binding of type `dependency-mirror` whose entries are
 *   `default` and host names.
 *
 * Precedence: a mapping for the exact sha256 wins; then a host-specific mirror (env var, then
 * binding entry), then a default mirror (env var, then binding). Paketo's packit lets any env
 * mirror beat any binding; we let the more specific rule win instead, which is what a
 * platform operator who set a per-host mirror in either place means.
 *
 * Mirror URIs must be https:// or file:// (as in Paketo); http:// is accepted only for
 * loopback hosts (local mirrors and tests). The sha256 check makes any mirror safe to use.
 */
import type { Binding } from "../environment/index.js";
import { CnbError } from "../errors/index.js";

/** The URI a download will use and why. */
export interface ResolvedUri {
  uri: string;
  /** How `uri` was chosen; `original` when no mapping or mirror applied. */
  via: "original" | "dependency-mapping" | "mirror";
  /** Where the rule came from, for logs: an env var name or `binding <name>`. */
  source?: string;
}

const MIRROR_ENV = "BP_DEPENDENCY_MIRROR";

/** The env var name Paketo uses for a host-specific mirror. */
export function mirrorEnvName(host: string): string {
  return `${MIRROR_ENV}_${host.toUpperCase().replace(/-/g, "__").replace(/\./g, "_")}`;
}

/** The host an env var name is for, or undefined when it is not a host-specific mirror var. */
function hostOfEnvName(name: string): string | undefined {
  if (!name.startsWith(`${MIRROR_ENV}_`)) return undefined;
  return name
    .slice(MIRROR_ENV.length + 1)
    .replace(/__/g, "-")
    .replace(/_/g, ".")
    .toLowerCase();
}

/** Removes user:password from a URI so it can be shown in logs and errors. */
export function redactUri(uri: string): string {
  try {
    const u = new URL(uri);
    if (u.username === "" && u.password === "") return uri;
    u.username = "";
    u.password = "";
    return `${u.toString().replace("//", "//***@")}`;
  } catch {
    return uri;
  }
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/**
 * Applies a mirror value to an original URI.
 *
 * @throws CnbError for an unparseable mirror or one that is not https/file (http only to loopback).
 */
export function applyMirror(mirror: string, original: string, source: string): string {
  const [base = "", ...args] = mirror.trim().split(",");
  let skipPath = "";
  for (const arg of args) {
    const [k, v] = arg.split("=", 2);
    if (k?.trim() === "skip-path" && v !== undefined) skipPath = v.trim();
  }
  let m: URL;
  try {
    m = new URL(base.trim());
  } catch {
    throw new CnbError(`${source}: mirror "${redactUri(base)}" is not a URI`, {
      hint: "Use e.g. https://mirror.example.com/{originalHost}",
    });
  }
  const okScheme =
    m.protocol === "https:" || m.protocol === "file:" || (m.protocol === "http:" && LOOPBACK.has(m.hostname));
  if (!okScheme) {
    throw new CnbError(`${source}: mirror "${redactUri(base)}" must use https:// or file://`, {
      hint: "Plain http:// mirrors are accepted only on loopback (127.0.0.1, localhost).",
    });
  }
  const o = new URL(original);
  let path = o.pathname;
  if (skipPath !== "" && path.startsWith(skipPath)) path = path.slice(skipPath.length);
  if (!path.startsWith("/")) path = `/${path}`;
  const prefix = decodeURIComponent(m.pathname).replace("{originalHost}", o.hostname).replace(/\/+$/, "");
  m.pathname = prefix + path;
  m.search = o.search;
  m.hash = "";
  return m.toString();
}

/**
 * Decides which URI to fetch `dep` from. Reads binding values only for the entries it needs.
 *
 * @throws CnbError when two dependency-mapping bindings map the same sha256 to different
 * URIs, when there is more than one dependency-mirror binding, or for a bad mirror value.
 */
export async function resolveUri(
  dep: { uri: string; sha256: string },
  env: Record<string, string | undefined>,
  bindings: readonly Binding[] = [],
): Promise<ResolvedUri> {
  const sha = dep.sha256.toLowerCase();
  let mapped: { uri: string; source: string } | undefined;
  for (const b of bindings) {
    if (b.type.toLowerCase() !== "dependency-mapping" || !b.entries.includes(sha)) continue;
    const uri = (await b.read(sha))?.trim();
    if (!uri) continue;
    if (mapped && mapped.uri !== uri) {
      throw new CnbError(
        `bindings "${mapped.source.replace(/^binding /, "")}" and "${b.name}" map sha256 ${sha} to different URIs`,
        { hint: "Keep one dependency-mapping entry per sha256." },
      );
    }
    mapped = { uri, source: `binding ${b.name}` };
  }
  if (mapped) return { uri: mapped.uri, via: "dependency-mapping", source: mapped.source };

  let original: URL;
  try {
    original = new URL(dep.uri);
  } catch {
    return { uri: dep.uri, via: "original" };
  }
  if (original.protocol !== "http:" && original.protocol !== "https:") return { uri: dep.uri, via: "original" };
  const host = original.hostname.toLowerCase();

  const mirrorBindings = bindings.filter((b) => b.type.toLowerCase() === "dependency-mirror");
  if (mirrorBindings.length > 1) {
    throw new CnbError(
      `found ${mirrorBindings.length} bindings of type "dependency-mirror" (${mirrorBindings.map((b) => b.name).join(", ")}); expected at most one`,
    );
  }
  const mb = mirrorBindings[0];

  const envHost = Object.keys(env)
    .sort()
    .find((k) => env[k] && hostOfEnvName(k) === host);
  const candidates: [string | undefined, string][] = [];
  if (envHost) candidates.push([env[envHost], envHost]);
  if (mb?.entries.includes(host)) candidates.push([await mb.read(host), `binding ${mb.name} (${host})`]);
  if (env[MIRROR_ENV]) candidates.push([env[MIRROR_ENV], MIRROR_ENV]);
  if (mb?.entries.includes("default")) candidates.push([await mb.read("default"), `binding ${mb.name} (default)`]);
  for (const [value, source] of candidates) {
    if (value?.trim()) return { uri: applyMirror(value, dep.uri, source), via: "mirror", source };
  }
  return { uri: dep.uri, via: "original" };
}
