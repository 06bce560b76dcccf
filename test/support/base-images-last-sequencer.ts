/**
 * The order vitest runs test files in: files that need no base images first, then those that
 * need this machine's base images, then those that need the emulated (other-arch) rootfs.
 *
 * Why: on a fresh machine scripts/test.sh builds the base images in the background while the
 * suite runs (debootstrap: ~5 min for amd64, ~7 min for arm64 under qemu). A file that needs
 * them and runs before they are ready waits on the cache lock; run later, it finds them built.
 * Within each group vitest's own order stays (failed first, then longest first from its
 * results cache, or the biggest file first on a fresh checkout). With a warm cache the order
 * changes nothing but when each file runs.
 */
import { readFileSync } from "node:fs";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Files that need the other arch's (arm64 on amd64) base rootfs; they run last. */
export const EMULATED_ROOTFS_FILES: readonly string[] = [
  "builder-packager/src/base/arm64.test.ts",
  "builder-packager/src/base/multi-arch.test.ts",
  "test/long/extend-multi-arch.test.ts",
  "test/e2e/multi-arch.test.ts",
];

/** What a file that needs this machine's base images (directly or through the e2e support) names. */
const NEEDS_BASE_IMAGES =
  /\b(ensureBaseImages|ensureDebianRootfs|ensureMultiArchBaseImages|referenceBuilder|BASE_LAYOUT)\b/;

/** 0: no base images, 1: this machine's, 2: the emulated arch's. */
export function baseImagesGroup(moduleId: string, source: string): 0 | 1 | 2 {
  if (EMULATED_ROOTFS_FILES.some((f) => moduleId.endsWith(`/${f}`))) return 2;
  return NEEDS_BASE_IMAGES.test(source) ? 1 : 0;
}

/** vitest's sequencer with the files regrouped by {@link baseImagesGroup}. */
export default class BaseImagesLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const group = (f: TestSpecification) => baseImagesGroup(f.moduleId, readFileSync(f.moduleId, "utf8"));
    const groups = sorted.map(group);
    return [0, 1, 2].flatMap((g) => sorted.filter((_, i) => groups[i] === g));
  }
}
