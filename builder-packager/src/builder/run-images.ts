/**
 * Run images of a published builder: a builder in a registry is used by other machines, so
 * the run images it names must be registry images too. Each run image (or mirror) that is a
 * local OCI layout is pushed next to the builder, `<builder repository>-run[-N]:<builder
 * tag>`, or to `runImageRepo`, and named by that reference in the builder's metadata,
 * run.toml and stack.toml. Registry references stay as written, with their mirrors.
 */
import { CnbError } from "@cnbkit/framework";
import {
  copyImage,
  formatReference,
  openImageSink,
  openImageSource,
  parseReference,
  type RegistryReference,
  type StoreOptions,
} from "../oci/index.js";
import type { RunImage } from "./config.js";

/** Options of {@link publishRunImages}. */
export interface PublishRunImagesOptions {
  /** Where the builder goes. */
  builder: RegistryReference;
  /** A repository (`host/path`, optionally `:tag`) for the run images instead of `<builder>-run`. */
  runImageRepo?: string;
  store: StoreOptions;
  progress: (line: string) => void;
}

/**
 * Pushes every local-layout run image and mirror (each distinct one once) and returns the
 * run images with registry names in their place.
 *
 * @example
 * await publishRunImages([{ image: "oci:/x/base:run", mirrors: [] }], { builder: parseReference("reg/acme/builder:1"), ... });
 * // → [{ image: "reg/acme/builder-run:1", mirrors: [] }]
 */
export async function publishRunImages(images: RunImage[], options: PublishRunImagesOptions): Promise<RunImage[]> {
  const pushed = new Map<string, string>();
  const destination = (n: number): string => {
    const tag = options.builder.tag ?? "latest";
    if (options.runImageRepo) {
      const r = parseReference(options.runImageRepo);
      if (r.kind !== "registry") {
        throw new CnbError(`--run-image-repo "${options.runImageRepo}" must be a registry repository`);
      }
      const repository = n === 1 ? r.repository : `${r.repository}-${n}`;
      return formatReference({ kind: "registry", registry: r.registry, repository, tag: r.tag ?? tag });
    }
    const suffix = n === 1 ? "-run" : `-run-${n}`;
    const { registry, repository } = options.builder;
    return formatReference({ kind: "registry", registry, repository: `${repository}${suffix}`, tag });
  };
  const publish = async (ref: string): Promise<string> => {
    if (parseReference(ref).kind !== "layout") return ref;
    const known = pushed.get(ref);
    if (known) return known;
    const dest = destination(pushed.size + 1);
    pushed.set(ref, dest);
    options.progress(`Pushing run image ${ref} to ${dest}`);
    await copyImage(await openImageSource(ref, options.store), await openImageSink(dest, options.store));
    return dest;
  };
  const out: RunImage[] = [];
  for (const run of images) {
    const image = await publish(run.image);
    const mirrors: string[] = [];
    for (const m of run.mirrors) {
      const name = await publish(m);
      if (name !== image && !mirrors.includes(name)) mirrors.push(name);
    }
    out.push({ image, mirrors });
  }
  return out;
}
