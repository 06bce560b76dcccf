/**
 * The lifecycle's OCI-layout "repository": with `-layout`, the analyzer and exporter find an
 * image named `registry/repo:tag` in the directory `<layout-dir>/<registry>/<repo>/<tag>`
 * (and `repo@sha256:x` in `<registry>/<repo>/sha256/x`), each an OCI layout of its own.
 * This mirrors imgutil's `layout.ParseRefToPath`, which parses names with
 * go-containerregistry's weak validation (Docker Hub names become
 * `index.docker.io/library/...`).
 */
import { copyFile, lchown, link, readdir } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { type ImageSource, copyImage, openImageSink } from "../oci/image-store.js";
import { OciLayout } from "../oci/layout.js";

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

/**
 * Places the image `source` names into the layout dir `dest` under `tag`. Blobs of an image
 * in a local OCI layout are hardlinked (copied across filesystems), so placing a 200 MB run
 * image or the previous app image costs milliseconds; other sources are copied. Linked
 * blobs are never written to: OCI layout writers skip blobs that exist.
 */
export async function placeImage(source: ImageSource, dest: string, tag: string): Promise<void> {
  const sink = await openImageSink(`oci:${dest}:${tag}`);
  if (source.ref.kind === "layout") {
    const from = await OciLayout.open(source.ref.path);
    const to = await OciLayout.open(dest);
    const { manifest } = await source.image();
    for (const d of [manifest.manifest.config, ...manifest.manifest.layers]) {
      const target = to.blobPath(d.digest);
      if (await to.hasBlob(d.digest)) continue;
      await link(from.blobPath(d.digest), target).catch(async () => copyFile(from.blobPath(d.digest), target));
    }
  }
  await copyImage(source, sink, { tag });
}

/**
 * Gives `uid:gid` the directories and index files of a layout repository (so the
 * lifecycle, running as the CNB user, can add images), but not the blobs, which may be
 * hardlinks into caches and the user's own layouts.
 */
export async function chownLayoutDirs(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await chownLayoutDirs(p, uid, gid);
    else if (e.name === "index.json" || e.name === "oci-layout") await lchown(p, uid, gid);
  }
}
