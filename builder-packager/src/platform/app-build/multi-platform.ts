/**
 * `cnbkit build --platform linux/amd64 --platform linux/arm64`: one image index from one
 * command. It runs the single-platform build (build-app.ts) once per platform, all at once,
 * into a staging OCI layout; then index-writer.ts joins them into one index and writes it to
 * each destination, sealed, and the tags move once, at the end.
 * A failure on one platform names it, and the output and its tags are left as they were.
 *
 * All at once: an emulated build runs its lifecycle and cnbkit buildpacks natively
 * (native-lifecycle.ts, native-node-runtime.ts), so most of it is ordinary work that a second
 * core does beside the native build. This machine's platform is the first, with the
 * arch-neutral store (`@cnbkit/framework/packaging`) bound writable; the emulated ones get it
 * read-only and restore what its buildpacks declared arch-neutral (a Maven-built jar, say)
 * instead of building it again under qemu, waiting for it while the native build runs. Each
 * platform's output is shown in one piece, in that order. The store lives in the staging
 * dir: it is this command's, and goes with it.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { ARCH_NEUTRAL_OUTPUTS_DIR, ARCH_NEUTRAL_PRODUCING } from "@cnbkit/framework/packaging";
import { cnbkitCacheDir } from "../../cache/index.js";
import { checkRunnable } from "../../container/index.js";
import { type Digest, hostPlatform, openImageSource, type Platform } from "../../oci/index.js";
import { targetString } from "../../package/index.js";
import { builderOf, buildApp } from "./build-app.js";
import { builderPlatform } from "./builder-platform.js";
import { writeImageIndex } from "./index-writer.js";
import type { Destination } from "./destination.js";
import { makeWorkDir } from "./work-dir.js";
import type { BuildOptions, BuildResult, MultiBuildOptions, PlatformImage, SealRequest } from "./options.js";
import { platformSlug } from "./platform-list.js";
import { HeldOutput } from "./held-output.js";
import { type CheckedRequest, checkRequest, type RequestOptions } from "./prepare.js";
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
  const { destinations } = await checkPlatforms({ ...options, builder }, platforms, say);
  const cache = options.cnbkitCache ?? cnbkitCacheDir();
  const staging = await makeWorkDir(cache);
  try {
    const order = buildOrder(platforms);
    const share = options.shareArchNeutral !== false && platforms.length > 1;
    if (share) {
      const rest = order.slice(1).map(targetString).join(", ");
      say(
        `Arch-neutral layers: built by ${targetString(order[0] as Platform)} first, reused by ${rest} when their keys match`,
      );
    }
    // Each platform's build is the single-platform build of these options (not the index's
    // tags and seals), with its own part and what buildOne stages.
    const { tags: _tags, seal: _seal, sealIndex: _sealIndex, shareArchNeutral: _share, ...single } = options;
    const built = await buildAll(options, order, staging, share, (platform, part) =>
      buildOne(options, destinations[0]!, platform, staging, (staged) =>
        buildApp({ ...single, builder, ...part, ...staged }),
      ),
    );
    // The index lists the platforms in the order asked, whatever order they were built in.
    const images = platforms.map((p) => built.get(p) as PlatformImage);
    const digest = await writeImageIndex(options, destinations, images, staging, say);
    return { image: destinations[0]!.given, digest, destinations, images, totalMs: performance.now() - started };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** What {@link buildAll} gives each platform's build: its output, its abort signal, its share of the store. */
type PlatformPart = Pick<BuildOptions, "signal" | "onOutput" | "archNeutral">;

/**
 * Builds every platform at once (`build` runs one): the first of `order` (this machine's, natively) with the
 * arch-neutral store writable, the others reading it. While the first runs, the store holds
 * the producing marker, so a reusing build waits for a layer it has not stored yet instead of
 * building it under qemu; the marker goes when it ends, whatever the outcome. Each platform's
 * output is held back until the ones before it have ended, so each shows in one piece. The
 * first failure stops the rest and is the one thrown.
 */
async function buildAll(
  opts: Pick<BuildOptions, "signal" | "onOutput">,
  order: Platform[],
  staging: string,
  share: boolean,
  build: (platform: Platform, part: PlatformPart) => Promise<PlatformImage>,
): Promise<Map<Platform, PlatformImage>> {
  const store = join(staging, "arch-neutral");
  const producing = join(store, ARCH_NEUTRAL_OUTPUTS_DIR, ARCH_NEUTRAL_PRODUCING);
  if (share) {
    await mkdir(join(store, ARCH_NEUTRAL_OUTPUTS_DIR), { recursive: true });
    await writeFile(producing, "");
  }
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const held = order.map((_, i) => (i === 0 ? undefined : new HeldOutput(opts.onOutput)));
  const ended = order.map(() => false);
  let failure: unknown;
  const runs = order.map(async (platform, i) => {
    const say = held[i]?.take ?? opts.onOutput;
    say?.(`===> ${targetString(platform)} (${i + 1} of ${order.length})`, "stdout");
    // The producer is told who reuses, so its buildpacks can make their variants of a layer.
    const reusers = order.slice(1).map((p) => p.architecture);
    const archNeutral = share
      ? i === 0
        ? { dir: store, role: "produce" as const, reusers }
        : { dir: store, role: "reuse" as const }
      : undefined;
    try {
      return await build(platform, {
        signal,
        ...(say ? { onOutput: say } : {}),
        ...(archNeutral ? { archNeutral } : {}),
      });
    } catch (err) {
      failure ??= err;
      stop.abort();
      throw err;
    } finally {
      if (i === 0 && share) await rm(producing, { force: true });
      ended[i] = true;
      // The next platform's output shows once every one before it has ended.
      for (let k = 1; k < order.length && ended[k - 1]; k++) held[k]?.release();
    }
  });
  const results = await Promise.allSettled(runs);
  if (failure !== undefined) throw failure;
  return new Map(order.map((p, i) => [p, (results[i] as PromiseFulfilledResult<PlatformImage>).value]));
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
 * The checks before any work, each one line: the request (output, tags, flags; the
 * destinations are parsed here, once), a builder image (not a rootfs dir) with every
 * platform, and qemu for each foreign one.
 */
async function checkPlatforms(
  opts: RequestOptions,
  platforms: Platform[],
  say: (line: string) => void,
): Promise<CheckedRequest> {
  const request = await checkRequest(opts);
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
  return request;
}

/** What {@link buildOne} reads of the options: what it stages per platform. */
type StagedFrom = Pick<
  BuildOptions,
  "previousImage" | "cacheDir" | "sbomOutputDir" | "reportOutputDir" | "cacheImageName" | "seal"
>;

/** What {@link buildOne} sets of a platform's build: where it stages, and its own dirs and previous image. */
type Staged = Pick<BuildOptions, "platform" | "output" | "cacheImageName" | "outputLabel"> & StagedFrom;

/**
 * One platform's build into the staging layout, run by `build` (the single-platform build of
 * the entry's options) with what is staged here: its own cache (per builder digest; a
 * `--cache-dir` gets a subdir per platform), the output's image of that platform as the
 * previous image, and its SBOMs and report in a subdir.
 */
async function buildOne(
  opts: StagedFrom,
  output: Destination,
  platform: Platform,
  staging: string,
  build: (staged: Staged) => Promise<BuildResult>,
): Promise<PlatformImage> {
  const slug = platformSlug(platform);
  const under = (dir: string | undefined) => (dir === undefined ? {} : { dir: join(resolve(dir), slug) });
  let record: BuildRecord | undefined;
  const previous = opts.previousImage ?? (await previousOf(output, platform));
  const cacheDir = under(opts.cacheDir).dir;
  const sbomOutputDir = under(opts.sbomOutputDir).dir;
  const reportOutputDir = under(opts.reportOutputDir).dir;
  try {
    const { seal } = opts;
    const result = await build({
      platform,
      output: `oci:${join(staging, "images")}:${slug}`,
      // The staging dir is new on every build: the cache is keyed on what the user named.
      cacheImageName: opts.cacheImageName ?? output.given,
      // The staged path means nothing to the user: progress and refusals name their output.
      outputLabel: `the ${targetString(platform)} image of ${output.given}`,
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
async function previousOf(output: Destination, platform: Platform): Promise<string | undefined> {
  const source = await openImageSource(output.ref).catch(() => undefined);
  const config = await source?.config(platform).catch(() => undefined);
  return config?.architecture === platform.architecture ? output.given : undefined;
}
