/**
 * The lifecycle's OCI-layout "repository": with `-layout`, the analyzer and exporter find an
 * image named `registry/repo:tag` in the directory `<layout-dir>/<registry>/<repo>/<tag>`
 * (and `repo@sha256:x` in `<registry>/<repo>/sha256/x`), each an OCI layout of its own.
 * This mirrors imgutil's `layout.ParseRefToPath`, which parses names with
 * go-containerregistry's weak validation (Docker Hub names become
 * `index.docker.io/library/...`).
 */
import { chmod, chown, lchown, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { type Descriptor, type ImageSource, OciLayout } from "../../oci/index.js";

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
 * Which layer blobs {@link placeImage} puts into the layout: `"all"`, or a predicate over a
 * layer's descriptor and diffID (the others are left out: a sparse image).
 */
export type LayerSelection = "all" | ((layer: Descriptor, diffId: string) => boolean);

/**
 * Places the image `source` names into the layout dir `dest` under `tag`: its manifest (for
 * the host platform; bytes kept, so the digest the lifecycle records is the source's),
 * config and the selected layer blobs. Blobs of an image in a local OCI layout are
 * hardlinked (copied across filesystems); other sources are streamed. Linked blobs are never
 * written to: OCI layout writers skip blobs that exist.
 *
 * Why sparse: the lifecycle's layout mode (imgutil) computes the diffID of every layer blob
 * present by decompressing it, for the run image and the previous image, in the analyzer and
 * again in the exporter: ~3 s per phase for a 50 MB run image plus a Node.js app. A layer
 * whose blob is absent is taken from the config's diffIDs instead, reused by reference, and
 * left out when the exported image is saved; {@link withBlobsFrom} fills those in on the way
 * out.
 *
 * @example
 * await placeImage(runSource, join(repo, layoutPathOf("cnbkit.local/run:latest")), "latest", () => false);
 */
export async function placeImage(
  source: ImageSource,
  dest: string,
  tag: string,
  layers: LayerSelection = "all",
): Promise<void> {
  const { manifest, config } = await source.image();
  const to = await OciLayout.create(dest);
  const diffIds = config.rootfs.diff_ids;
  const wanted = manifest.manifest.layers.filter((d, i) => layers === "all" || layers(d, diffIds[i] ?? ""));
  for (const d of [manifest.manifest.config, ...wanted]) {
    if (await to.hasBlob(d.digest)) continue;
    const file = await source.blobFile?.(d.digest);
    if (file && (await to.linkBlob(file, d))) continue;
    await to.putBlob(await source.blob(d.digest), { mediaType: d.mediaType, digest: d.digest });
  }
  await to.putManifest(manifest.bytes, manifest.mediaType, tag);
}

/**
 * `primary` with the blobs it lacks read from `fallbacks`, in order: the exported app image
 * of a sparse layout repository, whose run-image and reused layers live in the run image and
 * the previous app image.
 *
 * @example
 * await copyImage(withBlobsFrom(exported, [runSource, previous]), sink);
 */
export function withBlobsFrom(primary: ImageSource, fallbacks: ImageSource[]): ImageSource {
  const layersOf = new Map<ImageSource, Promise<Set<string>>>();
  const has = (f: ImageSource, digest: string) => {
    let set = layersOf.get(f);
    if (!set) {
      set = f.image().then(
        ({ manifest }) => new Set(manifest.manifest.layers.map((l) => l.digest)),
        () => new Set<string>(),
      );
      layersOf.set(f, set);
    }
    return set.then((s) => s.has(digest));
  };
  return {
    ref: primary.ref,
    manifest: () => primary.manifest(),
    manifestByDigest: (digest, mediaType) => primary.manifestByDigest(digest, mediaType),
    image: (platform) => primary.image(platform),
    config: (platform) => primary.config(platform),
    async blobFile(digest) {
      const own = await primary.blobFile?.(digest);
      if (own || primary.ref.kind !== "layout") return own;
      for (const f of fallbacks) if (await has(f, digest)) return f.blobFile?.(digest);
      return undefined;
    },
    async blob(digest) {
      if (primary.ref.kind !== "layout" || (await primary.blobFile?.(digest))) return primary.blob(digest);
      for (const f of fallbacks) {
        if (!(await has(f, digest))) continue;
        return f.blob(digest);
      }
      throw new CnbError(
        `blob ${digest} of ${primary.ref.kind === "layout" ? primary.ref.path : "the image"} is in none of its sources`,
      );
    },
  };
}

/**
 * Makes `dir` (and its parents) and gives it to the CNB user: the layout repository before
 * images are placed in it (place-images.ts), and the build cache and /layers (inputs.ts).
 */
export async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chown(dir, uid, gid);
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

/**
 * Gives the files of a layout the lifecycle wrote (as the CNB user) back to this process's
 * user, so blobs hardlinked from it into the user's output are theirs.
 */
export async function reclaimLayout(dir: string): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  await lchown(dir, uid, gid);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await reclaimLayout(p);
    else {
      await lchown(p, uid, gid);
      // The lifecycle writes blobs 0600; an image layout is readable like any file.
      if (e.isFile()) await chmod(p, 0o644);
    }
  }
}
