/**
 * `cnbkit build --platform linux/amd64 --platform linux/arm64`: one image index from one
 * command. It is a thin loop over the single-platform build (build-app.ts): every platform is
 * built, one after another, into a staging OCI layout; then index-writer.ts joins them into
 * one index and writes it to each destination, sealed, and the tags move once, at the end.
 * A failure on one platform names it, and the output and its tags are left as they were.
 *
 * One after another, not concurrently: the emulated build is qemu-bound and takes both cores
 * of a small machine by itself, and two lifecycles at once would interleave their output.
 * This machine's platform goes first, with the arch-neutral store (`@cnbkit/framework/packaging`)
 * bound writable; the emulated ones get it read-only and restore what its buildpacks declared
 * arch-neutral (a Maven-built jar, say) instead of building it again under qemu. The store
 * lives in the staging dir: it is this command's, and goes with it.
 */
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { cnbkitCacheDir } from "../../cache/index.js";
import { checkRunnable } from "../../container/index.js";
import { type Digest, hostPlatform, openImageSource, type Platform } from "../../oci/index.js";
import { targetString } from "../../package/index.js";
import { builderOf, buildApp } from "./build-app.js";
import { builderPlatform } from "./builder-platform.js";
import { writeImageIndex } from "./index-writer.js";
import { type Destination, imageDestinations } from "./destination.js";
import { makeWorkDir } from "./inputs.js";
import type { BuildOptions, MultiBuildOptions, PlatformImage, SealRequest } from "./options.js";
import { platformSlug } from "./platform-list.js";
import { checkRequest } from "./prepare.js";
import type { BuildRecord } from "./record.js";

/** What {@link buildPlatforms} produced. */
export interface MultiBuildResult {
  /** The output reference as given. */
  image: string;
  /** The index's digest. */
  digest: Digest;
  /** Where the index was written, the output first, then each `--tag`. */
  destinations: Destination[];
  /** Each platform's image, in the order asked. */
  images: PlatformImage[];
  /** The whole command, in ms. */
  totalMs: number;
}

/**
 * Builds `options.appDir` for each of `platforms` and writes one image index to the output
 * (and each `--tag`). Everything that can be checked is checked before the first build: the
 * output and flags, that the builder has every platform, that qemu runs each foreign one.
 *
 * @example
 * const r = await buildPlatforms({ appDir: "my-app", builder: "oci:out/builder", output: "oci:out/app:latest" },
 *   [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64" }]);
 */
export async function buildPlatforms(options: MultiBuildOptions, platforms: Platform[]): Promise<MultiBuildResult> {
  const started = performance.now();
  const say = (line: string) => options.onOutput?.(line, "stdout");
  const builder = await builderOf(options);
  await checkPlatforms({ ...options, builder }, platforms, say);
  const cache = options.cnbkitCache ?? cnbkitCacheDir();
  const staging = await makeWorkDir(cache);
  try {
    const built = new Map<Platform, PlatformImage>();
    const order = buildOrder(platforms);
    const share = options.shareArchNeutral !== false && platforms.length > 1;
    if (share) {
      const rest = order.slice(1).map(targetString).join(", ");
      say(
        `Arch-neutral layers: built by ${targetString(order[0] as Platform)} first, reused by ${rest} when their keys match`,
      );
    }
    for (const [i, platform] of order.entries()) {
      say(`===> ${targetString(platform)} (${i + 1} of ${platforms.length})`);
      const archNeutral = share
        ? { dir: join(staging, "arch-neutral"), role: i === 0 ? ("produce" as const) : ("reuse" as const) }
        : undefined;
      built.set(
        platform,
        await buildOne({ ...options, builder, ...(archNeutral ? { archNeutral } : {}) }, platform, staging),
      );
    }
    // The index lists the platforms in the order asked, whatever order they were built in.
    const images = platforms.map((p) => built.get(p) as PlatformImage);
    const digest = await writeImageIndex({ ...options, builder }, images, staging, say);
    const destinations = imageDestinations(options.output, options.tags);
    return { image: options.output, digest, destinations, images, totalMs: performance.now() - started };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The order the platforms are built in: this machine's first (it runs natively, and it is the
 * build that stores the arch-neutral layers the emulated ones reuse), then the others in the
 * order asked. With no native one, the first asked produces: the others still skip its work.
 *
 * @example
 * buildOrder([{ os: "linux", architecture: "arm64" }, { os: "linux", architecture: "amd64" }]); // amd64 first, on amd64
 */
export function buildOrder(platforms: readonly Platform[], host: Platform = hostPlatform()): Platform[] {
  const native = platforms.filter((p) => p.os === host.os && p.architecture === host.architecture);
  return [...native, ...platforms.filter((p) => !native.includes(p))];
}

/**
 * The checks before any work, each one line: the request (output, tags, flags), a builder
 * image (not a rootfs dir) with every platform, and qemu for each foreign one.
 */
async function checkPlatforms(
  opts: BuildOptions & { builder: string },
  platforms: Platform[],
  say: (line: string) => void,
): Promise<void> {
  await checkRequest(opts);
  if (opts.cacheImage) {
    // One cache image would hold two platforms' layers under one tag, each build restoring the other's.
    throw new CnbError(
      `--cache-image ${opts.cacheImage} holds one platform's cache; with several --platform use --cache-dir (a subdir per platform) or build each platform on its own`,
    );
  }
  const source = await openImageSource(opts.builder).catch((err: Error) => {
    throw new CnbError(`builder ${opts.builder}: cannot read it as an image (${err.message})`, {
      hint: "a multi-platform build needs a builder image (oci:<dir> or a registry ref), not a root filesystem",
    });
  });
  for (const platform of platforms) await builderPlatform(source, opts.builder, platform);
  for (const platform of platforms) {
    const flag = `--platform ${targetString(platform)}`;
    await checkRunnable(flag, platform, { onLog: say }).catch((err: Error & { hint?: string }) => {
      if (err.message.startsWith(flag)) throw err;
      throw new CnbError(`${flag}: ${err.message}`, { ...(err.hint ? { hint: err.hint } : {}), cause: err });
    });
  }
}

/**
 * One platform's build into the staging layout, as the single-platform build runs it: its
 * own cache (per builder digest; a `--cache-dir` gets a subdir per platform), the output's
 * image of that platform as the previous image, and its SBOMs and report in a subdir.
 */
async function buildOne(
  opts: BuildOptions & { builder: string },
  platform: Platform,
  staging: string,
): Promise<PlatformImage> {
  const slug = platformSlug(platform);
  const under = (dir: string | undefined) => (dir === undefined ? {} : { dir: join(resolve(dir), slug) });
  let record: BuildRecord | undefined;
  const previous = opts.previousImage ?? (await previousOf(opts.output, platform));
  const cacheDir = under(opts.cacheDir).dir;
  const sbomOutputDir = under(opts.sbomOutputDir).dir;
  const reportOutputDir = under(opts.reportOutputDir).dir;
  try {
    const { tags: _tags, seal, ...rest } = opts;
    const result = await buildApp({
      ...rest,
      platform,
      output: `oci:${join(staging, "images")}:${slug}`,
      outputLabel: `the ${targetString(platform)} image (staged: the index is written once every platform is built)`,
      ...(previous ? { previousImage: previous } : {}),
      ...(cacheDir ? { cacheDir } : {}),
      ...(sbomOutputDir ? { sbomOutputDir } : {}),
      ...(reportOutputDir ? { reportOutputDir } : {}),
      // The staged image is sealed where it lands, after the index is written: here its
      // record is only kept.
      ...(seal
        ? {
            seal: async (req: SealRequest) => {
              record = req.record;
            },
          }
        : {}),
    });
    return { platform, digest: result.digest as Digest, result, ...(record ? { record } : {}) };
  } catch (err) {
    const e = err as Error & { hint?: string };
    throw new CnbError(`${targetString(platform)}: ${e.message}`, {
      ...(e.hint ? { hint: e.hint } : {}),
      cause: err,
    });
  }
}

/** The output as the previous image of `platform`'s build, when it is there and has that platform. */
async function previousOf(output: string, platform: Platform): Promise<string | undefined> {
  const source = await openImageSource(output).catch(() => undefined);
  const config = await source?.config(platform).catch(() => undefined);
  return config?.architecture === platform.architecture ? output : undefined;
}
