/**
 * What must not leave a build in its layers: the bindings' and `--secret`s' values, setuid
 * and setgid files; world-writable files and foreign owners are named. {@link guardLayers}
 * is set up before the lifecycle runs (needles read, cache snapshotted) and checks after it,
 * before write-image.ts copies anything out.
 */
import { emptyCache, type PulledCache, pullCacheImage, pushCacheImage } from "./cache-image.js";
import { snapshotCache } from "./cache-snapshot.js";
import { checkNewLayers } from "./check-layers.js";
import type { CnbOwner } from "./layer-hygiene.js";
import { CnbError } from "@cnbkit/framework";
import { findSecretInDir } from "./dir-scan.js";
import { type Needle, type SecretSource, secretNeedles } from "./secret-needles.js";

export { parseSecretFlag, SECRET_FILE_OF_TYPE, type SecretFlag, secretBindingDirs } from "./secret-flag.js";
export type { SecretSource } from "./secret-needles.js";

/** A build's guard: {@link LayerGuard.check} after the lifecycle, {@link LayerGuard.done} always. */
export interface LayerGuard {
  /**
   * Scans the new layers of the image at `appPath` (tag `tag`) and of the cache, and what the
   * build wrote to the cache layers kept by reference (`byReference`, its overlay's upper
   * dir); throws on a refusal. `layersDir` is the build's /layers on this machine, while the
   * exporter's layer dirs are still there: new buildpack layers are read from them. Resolves
   * with the diffIDs of the layers whose dirs were proven to make their tars (check-layers.ts).
   */
  check(appPath: string, tag: string, byReference?: string, layersDir?: string): Promise<ReadonlySet<string>>;
  /**
   * Ends the guard: drops the cache snapshot after a check passed, puts the cache back when
   * the build failed before one did (an unchecked cache is not kept).
   */
  done(): Promise<void>;
}

/** What {@link guardLayers} needs from the build. */
export interface GuardInput {
  cacheDir: string;
  work: string;
  sources: SecretSource[];
  owner: CnbOwner;
  output: string;
  say: (line: string) => void;
  /**
   * `--cache-image`: mirrored into `cacheDir` before the lifecycle runs (which then uses the
   * directory) and pushed from it only after the check passed (cache-image.ts).
   */
  cacheImage?: { ref: string; restore: boolean };
}

/** Reads the secrets and snapshots the cache, before the lifecycle runs. */
export async function guardLayers(input: GuardInput): Promise<LayerGuard> {
  const needles = await secretNeedles(input.sources);
  const pulled = input.cacheImage ? await pullCache(input.cacheImage, input) : undefined;
  const cache = await snapshotCache(input.cacheDir, input.work);
  let passed = false;
  return {
    async check(appPath, tag, byReference, layersDir) {
      if (byReference) await checkByReference(byReference, needles, input);
      const proven = await checkNewLayers({
        appPath,
        tag,
        cacheDir: input.cacheDir,
        cache,
        needles,
        owner: input.owner,
        layersDir,
        output: input.output,
        say: input.say,
      });
      passed = true;
      if (pulled) await pushCache(pulled, input);
      return proven;
    },
    async done() {
      if (!passed) await cache.restore();
      await cache.drop();
    },
  };
}

/** Refuses a build that wrote a secret into a cache layer kept by reference (dir-scan.ts). */
async function checkByReference(upper: string, needles: Needle[], input: GuardInput): Promise<void> {
  const found = await findSecretInDir(upper, needles);
  if (!found) return;
  const needle = needles[found.needle]!;
  // Not saved: build-app.ts commits the store only after this check passed.
  throw new CnbError(
    `${needle.source} (its ${needle.file}) is in a cache layer at /cnbkit/layer-cache/${found.path}: nothing was written, ${input.output} and the build cache are as they were`,
    { hint: "the buildpack that made the layer must not put it there; remove it from the builder or fix it" },
  );
}

/** The cache image mirrored into the volume cache, or (`restore` false: --clear-cache) none of it. */
async function pullCache(image: { ref: string; restore: boolean }, input: GuardInput): Promise<PulledCache> {
  return image.restore ? pullCacheImage(image.ref, input.cacheDir, input.say) : emptyCache(image.ref);
}

/**
 * Pushes the checked cache as the cache image. A failed push is a warning, as the lifecycle's
 * own failed cache export is: the image is built and written; the next build is slower.
 */
async function pushCache(pulled: PulledCache, input: GuardInput): Promise<void> {
  const ref = `${pulled.ref.registry}/${pulled.ref.repository}:${pulled.ref.tag}`;
  try {
    const digest = await pushCacheImage(pulled, input.cacheDir, input.work);
    input.say(`Saved the checked build cache as ${ref} (${digest.slice(0, 19)})`);
  } catch (err) {
    input.say(`Warning: the build cache was not saved as ${ref}: ${(err as Error).message.split("\n")[0]}`);
  }
}
