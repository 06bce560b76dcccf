/**
 * The reference builder's local variant for linux/amd64 and linux/arm64 as ONE builder, the
 * input of `cnbkit builder create --target linux/amd64 --target linux/arm64` (issue 57's
 * `scripts/main.sh --multi-arch`).
 *
 * Each arch's local variant carries that arch's Node.js, CPython and JDK tarballs, so its
 * cnbkit/nodejs, cnbkit/python and cnbkit/java buildpackages differ per arch. A buildpack
 * author who publishes for both arches publishes one multi-arch buildpackage: an OCI index of
 * the per-arch images. This joins them that way, and writes a builder.toml naming the joined
 * packages; the buildpacks that come from source directories are compiled per target by
 * `builder create` itself.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { writeAtomic } from "@cnbkit/framework/fs";
import { type Descriptor, importLayoutTar, OciLayout } from "../../builder-packager/src/oci/index.js";
import { type LocalReferenceBuilder, type LocalReferenceOptions, prepareLocalReferenceBuilder } from "./local-node.js";

/** The arches a multi-arch local builder is made for, in index order. */
export const MULTI_ARCHES = ["amd64", "arm64"] as const;

/** What {@link prepareMultiArchReferenceBuilder} made. */
export interface MultiArchReferenceBuilder {
  /** builder.toml for `cnbkit builder create --target linux/amd64 --target linux/arm64`. */
  builderToml: string;
  /** sha256 over both arches' inputs: the same digest means the same builder index. */
  inputsDigest: string;
  /** Each arch's local variant, in {@link MULTI_ARCHES} order. */
  variants: LocalReferenceBuilder[];
}

/**
 * Makes both arches' local variants under `<outDir>/<arch>`, joins their per-arch
 * buildpackages (nodejs, python, java) into one OCI-index buildpackage each under
 * `<outDir>/joined/`, and writes `<outDir>/amd64/builder-multi.toml`. Joined packages are reused while
 * their inputs digest is unchanged. cnbkit/java is carried on both arches unless `java: false`.
 *
 * @example
 * const { builderToml } = await prepareMultiArchReferenceBuilder({ outDir, baseLayout: ".cnbkit/images/base-multi" });
 */
export async function prepareMultiArchReferenceBuilder(
  opts: Omit<LocalReferenceOptions, "arch" | "outDir"> & { outDir: string },
): Promise<MultiArchReferenceBuilder> {
  const variants: LocalReferenceBuilder[] = [];
  for (const arch of MULTI_ARCHES) {
    variants.push(
      await prepareLocalReferenceBuilder({ ...opts, arch, outDir: join(opts.outDir, arch), java: opts.java ?? true }),
    );
  }
  const inputsDigest = createHash("sha256")
    .update(variants.map((v) => v.inputsDigest).join("\n"))
    .digest("hex");
  const joined = new Map<string, string>();
  for (const pick of PER_ARCH_PACKAGES) {
    const files = variants.map(pick).filter((f): f is string => f !== undefined);
    if (files.length !== variants.length) continue; // a package one arch lacks is left out on both
    const name = basename(files[0] as string);
    const dir = join(opts.outDir, "joined", name.replace(/\.cnb$/, ""));
    opts.onProgress?.(`joining ${name} for ${MULTI_ARCHES.join(", ")}`);
    joined.set(name, await joinedBuildpackage(files, dir, inputsDigest));
  }
  // Any arch's builder.toml: they differ only in their buildpackages' paths and targets.
  const generated = variants[0]?.builderToml as string;
  const doc = parseToml(await readFile(generated, "utf8"), generated);
  const buildpacks = (doc.buildpacks as TomlTable[]).map((bp) => {
    const multi = joined.get(basename(String(bp.uri)));
    return multi ? { ...bp, uri: multi } : bp;
  });
  // The targets come from `--target` on the command line, one per arch.
  delete doc.targets;
  // Beside it: its relative paths (the buildpacks from source, the base layout) stay right.
  const builderToml = join(dirname(generated), "builder-multi.toml");
  const text = stringifyToml({ ...doc, buildpacks });
  if ((await readFile(builderToml, "utf8").catch(() => "")) !== text) {
    await writeAtomic(builderToml, text, { mkdirs: true });
  }
  return { builderToml, inputsDigest, variants };
}

/** The buildpackages each arch's variant makes for itself (its own runtime tarballs). */
const PER_ARCH_PACKAGES: ((v: LocalReferenceBuilder) => string | undefined)[] = [
  (v) => v.nodejsPackage,
  (v) => v.pythonPackage,
  (v) => v.javaPackage,
  (v) => v.webPackage,
  (v) => v.goPackage,
];

/**
 * One OCI layout at `dir` whose `latest` is an index of the per-arch buildpackages `cnbs`
 * (each a .cnb holding one image), each entry with its config's os/architecture. Made anew
 * only when `digest` differs from the one written beside it last time.
 */
async function joinedBuildpackage(cnbs: string[], dir: string, digest: string): Promise<string> {
  const ref = `oci:${dir}:latest`;
  const stamp = `${dir}.inputs`;
  if (existsSync(join(dir, "index.json")) && (await readFile(stamp, "utf8").catch(() => "")) === digest) return ref;
  await rm(dir, { recursive: true, force: true });
  await rm(stamp, { force: true });
  const out = await OciLayout.create(dir);
  const manifests: Descriptor[] = [];
  const scratch = await mkdtemp(join(dirname(dir), ".import-"));
  try {
    for (const [i, cnb] of cnbs.entries()) {
      const layout = await importLayoutTar(cnb, join(scratch, String(i)));
      const top = await layout.resolve();
      if (top.kind !== "manifest") throw new Error(`${cnb}: expected one image, found an index`);
      for (const d of [top.manifest.config, ...top.manifest.layers]) {
        await out.putBlob({ path: layout.blobPath(d.digest) }, { digest: d.digest, mediaType: d.mediaType });
      }
      const desc = await out.putManifest(top.bytes, top.mediaType);
      const config = await layout.readConfig(top.manifest.config.digest);
      manifests.push({ ...desc, platform: { os: config.os, architecture: config.architecture } });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await out.writeIndex(manifests, "latest");
  await writeAtomic(stamp, digest);
  return ref;
}
