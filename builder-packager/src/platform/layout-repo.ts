/**
 * The lifecycle's OCI-layout "repository": with `-layout`, the analyzer and exporter find an
 * image named `registry/repo:tag` in the directory `<layout-dir>/<registry>/<repo>/<tag>`
 * (and `repo@sha256:x` in `<registry>/<repo>/sha256/x`), each an OCI layout of its own.
 * This mirrors imgutil's `layout.ParseRefToPath`, which parses names with
 * go-containerregistry's weak validation (Docker Hub names become
 * `index.docker.io/library/...`).
 */
import { join } from "node:path";
import { CnbError } from "../../../framework/src/errors.js";

/**
 * The path (relative to the layout dir) where the lifecycle reads or writes `name`.
 *
 * @example
 * layoutPathOf("cnbkit.local/app:v1")   // "cnbkit.local/app/v1"
 * layoutPathOf("ubuntu")                // "index.docker.io/library/ubuntu/latest"
 */
export function layoutPathOf(name: string): string {
  let rest = name;
  let id = "latest";
  const at = rest.indexOf("@");
  if (at >= 0) {
    id = rest.slice(at + 1).replace(":", "/");
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
      id = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  if (rest === "") throw new CnbError(`image name "${name}" is empty`);
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  let registry: string;
  let repo: string;
  if (first !== "" && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    repo = rest.slice(slash + 1);
  } else {
    registry = "index.docker.io";
    repo = rest.includes("/") ? rest : `library/${rest}`;
  }
  if (registry === "docker.io") registry = "index.docker.io";
  return join(registry, repo, id);
}
