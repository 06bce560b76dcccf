/**
 * The name of a build's default cache, and why a build starts a new one. Keyed on the app
 * dir, the output image's name and the platform, as pack keys its default cache on the output
 * image's name: an author's loop (re-package a buildpack, `builder create`, build) changes the
 * builder's digest on every turn, and the old key (app and builder digest) started each of
 * those builds cold (58–76 s instead of 15 s, issue 72). A cache from another builder is safe
 * to restore: every layer is reused only when its buildpack finds its own key in it.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What the default build cache of one build is keyed on. */
export interface BuildCacheInputs {
  /** The app dir, absolute. */
  appDir: string;
  /** The output image's name as the user gave it (`oci:<abs dir>[:tag]` or a registry ref). */
  image: string;
  /** `os/arch[/variant]` built for. */
  platform: string;
  /** The builder (its digest or rootfs dir): not in the key, kept to say what changed. */
  builder: string;
}

/** A short hex digest of `parts`. */
function hash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 24);
}

/** The cache's entry name under `<cache>/build-cache/`. */
export function buildCacheName(inputs: BuildCacheInputs): string {
  return hash("v2", inputs.appDir, inputs.image, inputs.platform);
}

/** The name the same app and builder had before the key changed (app dir and builder digest). */
export function legacyBuildCacheName(inputs: BuildCacheInputs): string {
  return hash(inputs.appDir, inputs.builder);
}

/** Where the last build of each app dir says what its cache was keyed on (a dot dir: never pruned as an entry). */
function recordPath(root: string, appDir: string): string {
  return join(root, ".last", `${hash(appDir)}.json`);
}

/**
 * Why the build of `inputs` has no cache under `root` yet, in a few words, from what the
 * last build of the same app dir recorded: the first build, another output or platform, a
 * cache made under the old key, or a pruned one.
 */
export async function newCacheReason(root: string, inputs: BuildCacheInputs): Promise<string> {
  const last = await readFile(recordPath(root, inputs.appDir), "utf8")
    .then((t) => JSON.parse(t) as Partial<BuildCacheInputs>)
    .catch(() => undefined);
  if (existsSync(join(root, legacyBuildCacheName(inputs)))) {
    return "build caches are keyed on the app and output image now, not the builder (as pack does), so the old one is not used";
  }
  if (!last) return "the first build of this app here";
  if (last.image !== inputs.image) return `the output image changed (${last.image} → ${inputs.image})`;
  if (last.platform !== inputs.platform) return `the platform changed (${last.platform} → ${inputs.platform})`;
  return "the last one was pruned (CNBKIT_CACHE_MAX_BUILD_CACHES bounds the pool) or removed";
}

/** Records what this build's cache was keyed on, for the next build's {@link newCacheReason}. */
export async function recordBuildCache(root: string, inputs: BuildCacheInputs): Promise<void> {
  const path = recordPath(root, inputs.appDir);
  await mkdir(join(root, ".last"), { recursive: true });
  const tmp = `${path}.${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(inputs)}\n`);
  await rename(tmp, path);
}
