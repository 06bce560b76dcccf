/**
 * The lifecycle's layout repository of one build: the run image and the previous app image
 * placed there, sparse (manifest and config; the previous image's SBOM layer), for the
 * analyzer and the exporter to read.
 */
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { type ImageConfig, type ImageSource, openImageSource, type Platform, parseReference } from "../../oci/index.js";
import type { Destination } from "./destination.js";
import { appMetadata } from "../app-image.js";
import { chownLayoutDirs, chownTree, layoutPathOf, placeImage } from "./layout-repo.js";
import { pinPlatform } from "./builder-platform.js";
import type { BuildPart } from "./options.js";

/** Names the app and run images carry inside the lifecycle's layout repository. */
const APP_NAME = "cnbkit.local/app";

const RUN_NAME = "cnbkit.local/run";

/** The lifecycle's layout repository of one build, with the images placed in it. */
export interface LayoutRepo {
  dir: string;
  /** The run image's name in the repository. */
  runName: string;
  /** The app image's name in the repository (exported there). */
  appName: string;
  /** The app image's layout dir. */
  appPath: string;
  /** The previous app image (the current output), when there is one. */
  previous: ImageSource | undefined;
}

/** What {@link prepareLayoutRepo} reads of a build: the run image, the output, and the previous image asked for. */
export type LayoutRepoBuild = BuildPart<"say" | "builder" | "run" | "destinations", "previousImage">;

/**
 * Makes the layout repository at `dir` and places the run image and the previous app image
 * in it. Both go in sparse (see placeImage): the run image without layers, the previous image
 * with only its SBOM layer, which the analyzer reads to restore launch SBOMs.
 */
export async function prepareLayoutRepo(
  { opts, say, builder, run, destinations }: LayoutRepoBuild,
  dir: string,
): Promise<LayoutRepo> {
  const output = destinations[0]!;
  await chownTree(dir, builder.uid, builder.gid);
  // A registry run image keeps its name, so the app image records it (rebase finds it
  // again); a layout run image has no registry name and goes by a local one.
  const runParsed = parseReference(run.ref);
  const runName =
    runParsed.kind === "registry" && !runParsed.digest
      ? `${runParsed.registry}/${runParsed.repository}:${runParsed.tag ?? "latest"}`
      : `${RUN_NAME}:latest`;
  const appName = `${APP_NAME}:${output.tag}`;
  say(`Placing run image ${run.ref}`);
  await placeImage(
    run.source,
    join(dir, layoutPathOf(runName)),
    runName.slice(runName.lastIndexOf(":") + 1),
    () => false,
  );
  const appPath = join(dir, layoutPathOf(appName));
  const previous = await previousImage(opts.previousImage, output, builder.platform);
  if (previous) {
    say(`Previous image ${opts.previousImage ?? output.given}`);
    const sbom = previousSbomLayer(await previous.config());
    await placeImage(previous, appPath, output.tag, (_, diffId) => diffId === sbom);
  }
  await chownLayoutDirs(dir, builder.uid, builder.gid);
  return { dir, runName, appName, appPath, previous };
}

/**
 * The image whose layers the exporter may reuse: `--previous-image`, else the output as it is.
 * An index (a multi-platform app image) is read as its image of the platform built for; an
 * image of another arch is no previous image (its layers are of the wrong arch), and one given
 * with `--previous-image` that cannot be read or is of another arch is one line.
 */
async function previousImage(
  given: string | undefined,
  output: Destination,
  platform: Platform,
): Promise<ImageSource | undefined> {
  const source = await openImageSource(given ?? output.ref)
    .then((s) => pinPlatform(s, platform))
    .catch(() => undefined);
  const config = await source?.config().catch(() => undefined);
  if (config && config.architecture === platform.architecture) return source;
  if (!given) return undefined;
  if (config) {
    throw new CnbError(
      `--previous-image ${given} is ${config.os}/${config.architecture}; this build is for ${platform.os}/${platform.architecture}`,
      { hint: "give an image of the platform built for (or an index that has it), or leave it out" },
    );
  }
  throw new CnbError(`--previous-image ${given}: cannot read it; give an image that exists or leave it out`);
}

/** The diffID of the previous image's launch-SBOM layer, if it is an app image with one. */
function previousSbomLayer(config: ImageConfig): string | undefined {
  try {
    return appMetadata(config, "previous image").lifecycle.sbom?.sha;
  } catch {
    return undefined;
  }
}
