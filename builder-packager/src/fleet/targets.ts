/**
 * What a fleet scan is pointed at, as users name it, parsed once at the edge:
 * - a registry host (`127.0.0.1:5000`): every repository its catalog lists;
 * - a repository prefix with a trailing slash (`registry.example.com/team-a/`): the catalog's
 *   repositories under it;
 * - a repository (`host/team-a/app`): all its tags;
 * - one image (`host/team-a/app:1`, `…@sha256:…`);
 * - an OCI layout (`oci:dir`: all its tags; `oci:dir:tag`: one);
 * - a file of such names, one a line (`--images-from`; `#` starts a comment).
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { type Digest, parseReference } from "../oci/index.js";

/** One parsed scan target. */
export type ScanTarget =
  | { kind: "catalog"; registry: string; prefix: string }
  | { kind: "repository"; registry: string; repository: string }
  | { kind: "image"; registry: string; repository: string; reference: string }
  | { kind: "layout"; path: string; reference?: string };

const HOST = /^(localhost|\[[0-9a-f:]+\]|[a-z0-9-]+(\.[a-z0-9-]+)*)(:\d+)?$/i;

/**
 * Parses one target; a one-line {@link CnbError} naming what forms are accepted.
 *
 * @example
 * parseTarget("127.0.0.1:5000")          // { kind: "catalog", registry: "127.0.0.1:5000", prefix: "" }
 * parseTarget("reg.example.com/team-a/") // { kind: "catalog", registry: "reg.example.com", prefix: "team-a/" }
 */
export function parseTarget(input: string): ScanTarget {
  const text = input.trim();
  if (text.startsWith("oci:")) {
    const ref = parseReference(text);
    if (ref.kind !== "layout") throw new CnbError(`"${input}" is not an OCI layout reference`);
    const reference = ref.digest ?? ref.tag;
    return { kind: "layout", path: resolve(ref.path), ...(reference ? { reference } : {}) };
  }
  const slash = text.indexOf("/");
  const host = slash < 0 ? text : text.slice(0, slash);
  if (!HOST.test(host) || !(host.includes(".") || host.includes(":") || host === "localhost")) {
    throw new CnbError(`fleet target "${input}" does not start with a registry host`, {
      hint: "name a registry (127.0.0.1:5000), a prefix (host/team/), a repository (host/team/app), an image (host/team/app:1) or oci:<dir>",
    });
  }
  if (slash < 0 || slash === text.length - 1) return { kind: "catalog", registry: host, prefix: "" };
  if (text.endsWith("/")) return { kind: "catalog", registry: host, prefix: text.slice(slash + 1) };
  const last = text.slice(text.lastIndexOf("/") + 1);
  const ref = parseReference(text);
  if (ref.kind !== "registry") throw new CnbError(`"${input}" is not a registry reference`);
  if (last.includes(":") || last.includes("@")) {
    return {
      kind: "image",
      registry: ref.registry,
      repository: ref.repository,
      reference: (ref.digest ?? ref.tag) as Digest | string,
    };
  }
  return { kind: "repository", registry: ref.registry, repository: ref.repository };
}

/** The targets listed in a file, one a line; one line naming the file and line of a bad one. */
export async function targetsFromFile(path: string): Promise<ScanTarget[]> {
  const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new CnbError(`cannot read --images-from ${path}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
  });
  const targets: ScanTarget[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    try {
      targets.push(parseTarget(line));
    } catch (err) {
      throw new CnbError(`${path}:${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return targets;
}
