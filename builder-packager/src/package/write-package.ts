/**
 * Puts a packaged image (a buildpack's or an extension's, staged in a scratch OCI layout) at
 * its output in the format asked for: an OCI layout dir, a `.cnb` file (one per target when
 * several, as pack writes them) or a registry image. Every path ends in a rename, so an
 * interrupted package leaves no half-written output.
 */
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import {
  copyImage,
  type Descriptor,
  type Digest,
  exportLayoutTar,
  OciLayout,
  openImageSink,
  openImageSource,
  type StoreOptions,
} from "../oci/index.js";

/** What {@link writePackage} needs: the staged layout, its manifests and where they go. */
export interface PackageOutput {
  /** The scratch layout holding one manifest per target. */
  layout: OciLayout;
  manifests: Descriptor[];
  /** `os/arch` of each manifest, in the same order. */
  targets: string[];
  format: "file" | "oci" | "image";
  output: string;
  /** A scratch dir of the caller's, for the per-target files. */
  scratch: string;
  store?: StoreOptions;
  /** What is written, for the progress lines: `acme/node 1.0.0`, `extension acme/apt 2.0.0`. */
  what: string;
  progress: (line: string) => void;
}

/**
 * Writes the package: the per-target `.cnb` files (and no digest) for a `file` of several
 * targets, else the one manifest or an index of them, tagged `latest`, with its digest.
 */
export async function writePackage(o: PackageOutput): Promise<{ digest?: Digest; files?: string[] }> {
  if (o.format === "file" && o.manifests.length > 1) {
    const files = await writeFilePerTarget(o.layout, o.manifests, o.targets, o.output, join(o.scratch, "files"));
    o.progress(`Wrote ${o.what} to ${files.join(", ")}`);
    return { files };
  }
  const top = o.manifests.length === 1 ? o.manifests[0]! : await o.layout.writeIndex(o.manifests);
  await o.layout.tag(top, "latest");
  if (o.format === "oci") {
    await replaceDir(o.layout.dir, o.output);
  } else if (o.format === "file") {
    await exportLayoutTar(o.layout.dir, o.output);
  } else {
    o.progress(`Pushing ${o.output}`);
    await copyImage(await openImageSource(`oci:${o.layout.dir}:latest`), await openImageSink(o.output, o.store ?? {}));
  }
  o.progress(`Wrote ${o.what} (${o.targets.join(", ")}) to ${o.output}: ${top.digest}`);
  return { digest: top.digest as Digest };
}

/**
 * The `.cnb` file of each target, as pack's `--format file` writes several targets: the
 * output name with `-<os>-<arch>` before its extension, each a layout with that target's
 * manifest only. All are written to `scratch` first and renamed into place together.
 */
export async function writeFilePerTarget(
  layout: OciLayout,
  manifests: Descriptor[],
  targets: string[],
  output: string,
  scratch: string,
): Promise<string[]> {
  const ext = extname(output);
  const stem = output.slice(0, output.length - ext.length);
  const staged: [string, string][] = [];
  for (const [i, manifest] of manifests.entries()) {
    const [os, arch] = (targets[i] as string).split("/");
    const file = `${stem}-${os}-${arch}${ext}`;
    const one = await OciLayout.create(join(scratch, String(i)));
    await copyImage(
      await openImageSource(`oci:${layout.dir}@${manifest.digest}`),
      await openImageSink(`oci:${one.dir}:latest`),
    );
    const tmp = join(scratch, `${i}.cnb`);
    await exportLayoutTar(one.dir, tmp);
    staged.push([tmp, file]);
  }
  for (const [tmp, file] of staged) await rename(tmp, file);
  return staged.map(([, file]) => file);
}

/** Puts `src` at `dest`, replacing what was there, with no moment of a half-written dest. */
export async function replaceDir(src: string, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const old = `${dest}.old-${process.pid}-${Date.now()}`;
  const had = await stat(dest).then(
    () => true,
    () => false,
  );
  if (had) await rename(dest, old);
  try {
    await rename(src, dest);
  } catch (err) {
    if (had) await rename(old, dest);
    throw err;
  }
  if (had) await rm(old, { recursive: true, force: true });
}
