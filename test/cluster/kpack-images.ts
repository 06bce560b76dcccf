/**
 * kpack's images for the cluster suite, made here instead of pulled: the binaries come from
 * scripts/fetch-kpack.sh (built from kpack's source at a release tag, cached by version), and each
 * becomes an OCI image in the shape `ko` gives them (ko-images.ts), as kpack's hack/build.sh
 * builds a release with ko: the controller's build pods then run /ko-app/build-init,
 * /ko-app/rebase and /ko-app/completion, the paths the script linked into it.
 */
import { join } from "node:path";
import { type GoBuild, pushKoImages, runFetchScript, writeKoImages } from "./ko-images.js";
import type { Cluster } from "./support.js";

/** The kpack release the suite builds (`CNBKIT_KPACK_VERSION` in scripts/fetch-kpack.sh). */
export const KPACK_VERSION = "0.17.2";

/** The commands built, named as kpack's config/schema.yaml names their images. */
export const KPACK_COMMANDS = ["controller", "webhook", "build-init", "build-waiter", "rebase", "completion"] as const;

/** One of {@link KPACK_COMMANDS}. */
export type KpackCommand = (typeof KPACK_COMMANDS)[number];

/** Runs scripts/fetch-kpack.sh (a Go build the first time, then the cache); throws with its output when it fails. */
export function buildKpack(): GoBuild {
  return runFetchScript("fetch-kpack.sh", { CNBKIT_KPACK_VERSION: KPACK_VERSION });
}

/** Writes one image per command into an OCI layout at `layoutDir`, tagged by command name. */
export async function writeKpackImages(build: GoBuild, layoutDir: string): Promise<void> {
  await writeKoImages(
    layoutDir,
    KPACK_COMMANDS.map((name) => ({
      name,
      bin: join(build.dir, "bin", name),
      createdBy: `kpack v${KPACK_VERSION} cmd/${name}`,
    })),
  );
}

/** Pushes each command's image to `<registry>/kpack/<name>:v<version>`; returns `…@sha256:…` per command. */
export async function pushKpackImages(c: Cluster, layoutDir: string): Promise<Record<KpackCommand, string>> {
  return pushKoImages(c, layoutDir, KPACK_COMMANDS, "kpack", `v${KPACK_VERSION}`);
}
