/**
 * What a build runs in and on: the builder's root filesystem (a directory, or an image
 * unpacked and cached by digest) with its CNB user and platform, and the run image the app
 * image is exported onto, checked against the builder's architecture.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import {
  hostPlatform,
  type ImageConfig,
  type ImageSource,
  openImageSource,
  type Platform,
  parseReference,
} from "../../oci/index.js";
import { builderPlatform, pinPlatform } from "./builder-platform.js";
import { supportedPlatformApis } from "../exec-env.js";
import { type PullPolicy, pulledDigest, recordPull } from "./pull-policy.js";
import { openUnpacked, type UnpackedImage, unpackImage } from "../../container/index.js";

/** The builder a build runs in. */
export interface BuildBuilder {
  rootfs: string;
  env: string[];
  uid: number;
  gid: number;
  /** The rootfs dir, or the image's manifest digest: with the app dir, it names the build cache. */
  id: string;
  /** The image's labels (none for a rootfs dir): its lifecycle and buildpack layers, for provenance. */
  labels: Record<string, string>;
  /** The image's OCI architecture (amd64, arm64); a builder rootfs dir is taken as this machine's. */
  architecture: string;
  /** The platform built for (the builder image's, picked from its index when it has one). */
  platform: Platform;
  /** The Platform APIs its lifecycle supports (label, else lifecycle.toml); undefined when neither says. */
  platformApis?: string[];
  /** Ends this build's use of the unpacked builder, so a later prune may take it again. */
  release(): Promise<void>;
}

/** What {@link resolveBuilder} needs to know of the build. */
export interface BuilderRequest {
  /** The builder as the user named it: a rootfs dir or an image reference. */
  builder: string;
  /** The platform asked for (default: this machine's). */
  platform?: Platform;
  /** CNB user of a rootfs-dir builder (an image's CNB_USER_ID/CNB_GROUP_ID win). */
  cnbUser?: { uid: number; gid: number };
  /** When a registry builder is fetched (default if-not-present); layouts are always read as they are. */
  pullPolicy?: PullPolicy;
}

/**
 * The builder of `req`: a root filesystem directory as it is, or an image unpacked into
 * `cache` (its platform's image of a multi-arch builder). Call `release()` when the build ends.
 *
 * @example
 * const builder = await resolveBuilder({ builder: "oci:out/builder" }, cacheDir, console.log);
 * try { ... } finally { await builder.release(); }
 */
export async function resolveBuilder(
  req: BuilderRequest,
  cache: string,
  say: (line: string) => void,
): Promise<BuildBuilder> {
  const asDir = resolve(req.builder);
  if (!req.builder.startsWith("oci:") && existsSync(asDir)) return rootfsBuilder(req, asDir);
  const unpacked = await unpackBuilder(req, cache, say);
  const env = unpacked.config.config?.Env ?? [];
  const get = (k: string) => env.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1);
  if (!existsSync(join(unpacked.rootfs, "cnb/lifecycle/creator"))) {
    await unpacked.release();
    throw new CnbError(`builder ${req.builder}: image has no /cnb/lifecycle/creator; is it a builder?`);
  }
  const labels = unpacked.config.config?.Labels ?? {};
  const platformApis = await supportedPlatformApis(labels, unpacked.rootfs);
  return {
    rootfs: unpacked.rootfs,
    env,
    uid: Number(get("CNB_USER_ID") ?? 1000),
    gid: Number(get("CNB_GROUP_ID") ?? 1000),
    id: unpacked.digest,
    labels,
    ...(platformApis ? { platformApis } : {}),
    architecture: unpacked.config.architecture,
    platform: {
      os: unpacked.config.os,
      architecture: unpacked.config.architecture,
      ...(unpacked.config.variant ? { variant: unpacked.config.variant } : {}),
    },
    release: () => unpacked.release(),
  };
}

/**
 * The builder image unpacked, honouring the pull policy for a registry builder: one pulled
 * before (same ref and platform) is used as it is unless the policy is `always`.
 */
async function unpackBuilder(req: BuilderRequest, cache: string, say: (line: string) => void): Promise<UnpackedImage> {
  const unreadable = (err: unknown) =>
    err instanceof CnbError
      ? new CnbError(`builder ${req.builder} not found or unreadable: ${err.message}`, { cause: err })
      : err;
  const fromRegistry = parseReference(req.builder).kind === "registry";
  const policy = req.pullPolicy ?? "if-not-present";
  if (fromRegistry && policy !== "always") {
    const digest = await pulledDigest(cache, req.builder, req.platform);
    const here = digest ? await openUnpacked(digest, { cacheDir: cache }) : undefined;
    if (here) return here;
    if (policy === "never") {
      throw new CnbError(`builder ${req.builder} is not on this machine and --pull-policy is never`, {
        hint: "build once with --pull-policy if-not-present (the default) to pull it",
      });
    }
  }
  const source = await openImageSource(req.builder).catch((err) => {
    throw unreadable(err);
  });
  // A multi-arch builder: the image for --platform (or this machine), its arches agreeing.
  const platform = await builderPlatform(source, req.builder, req.platform);
  try {
    const unpacked = await unpackImage(source, { cacheDir: cache, onProgress: say, platform });
    if (fromRegistry) await recordPull(cache, req.builder, req.platform, unpacked.digest);
    return unpacked;
  } catch (err) {
    throw unreadable(err);
  }
}

/** A builder given as a root filesystem of this machine. */
async function rootfsBuilder(req: BuilderRequest, dir: string): Promise<BuildBuilder> {
  if (!existsSync(join(dir, "cnb/lifecycle/creator"))) {
    throw new CnbError(`builder ${req.builder}: no /cnb/lifecycle/creator in this root filesystem`);
  }
  const host = hostPlatform();
  if (req.platform && req.platform.architecture !== host.architecture) {
    throw new CnbError(
      `builder ${req.builder} is a root filesystem of this machine (${host.os}/${host.architecture}); --platform ${req.platform.os}/${req.platform.architecture} needs a builder image of that platform`,
    );
  }
  const platformApis = await supportedPlatformApis({}, dir);
  return {
    rootfs: dir,
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    uid: req.cnbUser?.uid ?? 1000,
    gid: req.cnbUser?.gid ?? 1000,
    id: dir,
    labels: {},
    ...(platformApis ? { platformApis } : {}),
    architecture: host.architecture,
    platform: host,
    release: async () => {},
  };
}

/** The run image of a build, opened. */
export interface BuildRunImage {
  /** The reference as given or as the builder names it. */
  ref: string;
  /** Its source, reading as the builder platform's image when it is multi-arch. */
  source: ImageSource;
  /** Its config (of the builder's platform). */
  config: ImageConfig;
}

/**
 * Opens the run image `ref` (see {@link runImageRef}) and checks that it is of the builder's
 * architecture.
 *
 * @example
 * const run = await openRunImage(builder, "oci:out/builder", await runImageRef(builder, "oci:out/builder", undefined));
 */
export async function openRunImage(
  builder: BuildBuilder,
  builderRef: string,
  ref: string,
  pullPolicy?: PullPolicy,
): Promise<BuildRunImage> {
  if (pullPolicy === "never" && parseReference(ref).kind === "registry") {
    // Its layers go into the app image from the registry: there is no local copy to use.
    throw new CnbError(`run image ${ref} is a registry image and --pull-policy is never`, {
      hint: "give a run image on this machine (--run-image oci:<dir>), or drop --pull-policy never",
    });
  }
  // A multi-arch run image reads as its image of the builder's platform everywhere below.
  const source = pinPlatform(
    await openImageSource(ref).catch((err) => {
      throw new CnbError(`run image ${ref} not found: ${err instanceof Error ? err.message : err}`, {
        cause: err,
      });
    }),
    builder.platform,
  );
  const config = await source.config();
  if (config.architecture !== builder.architecture) {
    throw new CnbError(
      `run image ${ref} is ${config.os ?? "linux"}/${config.architecture}, but builder ${builderRef} is linux/${builder.architecture}`,
      { hint: "use a run image of the builder's architecture (--run-image)" },
    );
  }
  return { ref, source, config };
}

/** `runImage` when given, else the first run image of the builder's /cnb/run.toml (or older /cnb/stack.toml). */
export async function runImageRef(
  builder: BuildBuilder,
  builderRef: string,
  runImage: string | undefined,
): Promise<string> {
  if (runImage) return runImage;
  for (const f of ["cnb/run.toml", "cnb/stack.toml"]) {
    const text = await readFile(join(builder.rootfs, f), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const doc = parseToml(text, `builder /${f}`);
    const image = f.endsWith("run.toml")
      ? ((doc.images as TomlTable[] | undefined)?.[0]?.image as string | undefined)
      : ((doc["run-image"] as TomlTable | undefined)?.image as string | undefined);
    if (image) return image;
  }
  throw new CnbError(`builder ${builderRef}: /cnb/run.toml names no run image`, {
    hint: "pass a run image (--run-image)",
  });
}
