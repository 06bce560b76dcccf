/**
 * Which image of a builder a build uses: the one for `--platform` (or this machine's) from a
 * multi-arch builder's index, after checking that the index's per-arch builders agree on
 * their buildpacks (ids and versions), so an app builds with the same buildpacks on any arch.
 */
import { CnbError } from "@cnbkit/framework";
import { hostPlatform, type ImageSource, isManifestType, type Platform } from "../../oci/index.js";

/** The builder label that lists its buildpacks (pack's `io.buildpacks.builder.metadata`). */
const BUILDER_METADATA = "io.buildpacks.builder.metadata";

/** `linux/arm64` (`/v8` when the index says so). */
function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/** True when `have` serves a request for `want` (a variant is only compared when both give one). */
function matches(have: Platform, want: Platform): boolean {
  return (
    have.os === want.os &&
    have.architecture === want.architecture &&
    (!want.variant || !have.variant || have.variant === want.variant)
  );
}

/**
 * The platform of `builder` (named `ref` in errors) that a build for `want` (default: this
 * machine's) uses. A single-arch builder must be of that platform; a multi-arch one must have
 * it in its index, and all its per-arch builders must list the same buildpacks. Each problem
 * is one {@link CnbError} line.
 *
 * @example
 * const platform = await builderPlatform(await openImageSource("oci:out/builder"), "oci:out/builder", { os: "linux", architecture: "arm64" });
 */
export async function builderPlatform(builder: ImageSource, ref: string, want?: Platform): Promise<Platform> {
  const top = await builder.manifest();
  if (top.kind !== "index") {
    const config = await builder.config();
    const have: Platform = { os: config.os, architecture: config.architecture };
    if (want && !matches(have, want)) {
      throw new CnbError(`builder ${ref} is ${platformString(have)} only; it has no ${platformString(want)} image`, {
        hint: "build for its platform, or make a multi-arch builder (cnbkit builder create --target ... --target ...)",
      });
    }
    return have;
  }
  const entries = top.index.manifests.filter((d) => isManifestType(d.mediaType) && d.platform);
  const platforms = entries.map((d) => d.platform as Platform);
  const list = platforms.map(platformString).join(", ");
  const target = want ?? hostPlatform();
  const chosen = platforms.find((p) => matches(p, target));
  if (!chosen) {
    throw new CnbError(`builder ${ref} has no ${platformString(target)} image; its index has ${list}`, {
      hint: want ? "pick one of those with --platform" : `pass --platform with one of: ${list}`,
    });
  }
  // The per-arch builders must agree on what they build with.
  let first: { platform: Platform; buildpacks: string } | undefined;
  for (const p of platforms) {
    const label = (await builder.config(p)).config?.Labels?.[BUILDER_METADATA];
    let buildpacks = "(no builder metadata)";
    try {
      const list = (JSON.parse(label ?? "") as { buildpacks?: { id: string; version: string }[] }).buildpacks ?? [];
      buildpacks = list
        .map((b) => `${b.id}@${b.version}`)
        .sort()
        .join(", ");
    } catch {
      // keep "(no builder metadata)"
    }
    if (!first) first = { platform: p, buildpacks };
    else if (first.buildpacks !== buildpacks) {
      throw new CnbError(
        `builder ${ref}: its per-arch builders disagree on buildpacks: ${platformString(first.platform)} has ${first.buildpacks}; ${platformString(p)} has ${buildpacks}`,
        {
          hint: "recreate the builder from one builder.toml for all targets (cnbkit builder create --target ... --target ...)",
        },
      );
    }
  }
  return chosen;
}

/**
 * `source` with `platform` as the default of `image()` and `config()`: an image index (a
 * multi-arch run image) then reads as that platform's image everywhere it is used.
 */
export function pinPlatform(source: ImageSource, platform: Platform): ImageSource {
  return {
    ref: source.ref,
    manifest: () => source.manifest(),
    manifestByDigest: (digest, mediaType) => source.manifestByDigest(digest, mediaType),
    image: (p) => source.image(p ?? platform),
    config: (p) => source.config(p ?? platform),
    blob: (digest) => source.blob(digest),
    ...(source.blobFile
      ? {
          blobFile: (digest: Parameters<NonNullable<ImageSource["blobFile"]>>[0]) =>
            source.blobFile?.(digest) ?? Promise.resolve(undefined),
        }
      : {}),
  };
}
