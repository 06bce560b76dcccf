/**
 * Where a build writes its image: the output, then each `--tag`, each reference parsed once
 * here, when the build starts, and carried as a value through the write, the seal and back
 * to the caller (who marks signed images), never parsed from text again.
 */
import { CnbError } from "@cnbkit/framework";
import { type ImageReference, parseReference } from "../../oci/index.js";

/** One place the app image is written. */
export interface Destination {
  /** The reference as the caller gave it (`--output` or a `--tag`): what messages and provenance name. */
  given: string;
  /** The same, parsed. */
  ref: ImageReference;
  /** The tag that moves last, once the image is there (and sealed): the reference's, or `latest`. */
  tag: string;
}

/**
 * The destinations of a build: `output` first, then each of `tags`. A malformed reference,
 * or a tag that repeats the output, is one line.
 *
 * @example
 * imageDestinations("oci:/out/app:v1", ["registry.example.com/app:v1"]);
 * // [{ given: "oci:/out/app:v1", ref: { kind: "layout", ... }, tag: "v1" }, { ..., tag: "v1" }]
 */
export function imageDestinations(output: string, tags: readonly string[] = []): Destination[] {
  const destination = (given: string): Destination => {
    const ref = parseReference(given);
    return { given, ref, tag: ref.tag ?? "latest" };
  };
  const first = destination(output);
  return [
    first,
    ...tags.map((tag) => {
      const d = destination(tag);
      if (tag === output) throw new CnbError(`--tag ${tag} is the --output already; give another reference`);
      return d;
    }),
  ];
}
