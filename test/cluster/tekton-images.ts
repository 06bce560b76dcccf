/**
 * Tekton Pipelines' images for the cluster suite, made here instead of pulled: the binaries
 * come from scripts/fetch-tekton.sh (built from the Go module, cached by version), and each
 * becomes an OCI image in the shape `ko` gives Tekton's release (ko-images.ts), its kodata at
 * /var/run/ko, over the lifecycle image's base in place of cgr.dev/chainguard/static.
 */
import { join } from "node:path";
import { type GoBuild, pushKoImages, runFetchScript, writeKoImages } from "./ko-images.js";
import type { Cluster } from "./support.js";

/** The Tekton release the suite builds (`CNBKIT_TEKTON_VERSION` in scripts/fetch-tekton.sh). */
export const TEKTON_VERSION = "1.6.0";

/** The commands built, named as in Tekton's `ko://github.com/tektoncd/pipeline/cmd/<name>` references. */
export const TEKTON_COMMANDS = [
  "controller",
  "webhook",
  "entrypoint",
  "nop",
  "workingdirinit",
  "sidecarlogresults",
] as const;

/** One of {@link TEKTON_COMMANDS}. */
export type TektonCommand = (typeof TEKTON_COMMANDS)[number];

/** What scripts/fetch-tekton.sh left in the cache (bin/, kodata/ and Tekton's config/), and how long it took. */
export type TektonBuild = GoBuild;

/** Runs scripts/fetch-tekton.sh (a Go build the first time, then the cache); throws with its output when it fails. */
export function buildTekton(): TektonBuild {
  return runFetchScript("fetch-tekton.sh", { CNBKIT_TEKTON_VERSION: TEKTON_VERSION });
}

/** Writes one image per command into an OCI layout at `layoutDir`, tagged by command name. */
export async function writeTektonImages(build: TektonBuild, layoutDir: string): Promise<void> {
  await writeKoImages(
    layoutDir,
    TEKTON_COMMANDS.map((name) => ({
      name,
      bin: join(build.dir, "bin", name),
      kodata: join(build.dir, "kodata", name),
      createdBy: `tekton pipeline v${TEKTON_VERSION} cmd/${name}`,
    })),
  );
}

/**
 * Pushes each command's image from `layoutDir` to `<registry>/tekton/<name>:v<version>` and
 * returns `<registry>/tekton/<name>@sha256:…` per command, the form Tekton's controller wants for
 * its step images (a tag-less reference; CRI-O refuses a tag with a digest).
 */
export async function pushTektonImages(c: Cluster, layoutDir: string): Promise<Record<TektonCommand, string>> {
  return pushKoImages(c, layoutDir, TEKTON_COMMANDS, "tekton", `v${TEKTON_VERSION}`);
}
