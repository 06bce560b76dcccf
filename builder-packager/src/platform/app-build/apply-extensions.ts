/**
 * The build's extension step: after the detector, cnbkit is the extender (../../extensions):
 * a run image an extension switched to is opened and placed, the build.Dockerfiles extend
 * the build view, and the run.Dockerfiles' RUN lines make the extended run image.
 */
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { type AppliedRun, applyBuildExtensions, applyRunExtensions, switchedRunImage } from "../../extensions/index.js";
import { type BuildRunImage, openRunImage } from "./builder.js";
import { chownLayoutDirs, layoutPathOf, placeImage } from "./layout-repo.js";
import type { BuildPart } from "./options.js";
import type { LayoutRepo } from "./place-images.js";

/** What the extension step leaves for the export. */
export interface ExtendedRun {
  /** The run image the app image is built on: the build's, or the one an extension switched to. */
  run: BuildRunImage;
  /** The switched image's name in the layout repository, when an extension switched it. */
  switchedName?: string;
  /** The layer the run.Dockerfiles' RUN lines made (../../extensions/apply-run.ts), if any. */
  layer?: AppliedRun;
}

/** What the extension step reads of a build. */
export type ExtensionsBuild = BuildPart<
  "builder" | "run" | "say",
  "builder" | "network" | "signal" | "cnbkitCache" | "pullPolicy"
>;

/**
 * After the detector, cnbkit is the extender (../../extensions): the run image a
 * run.Dockerfile switches to is placed, the build.Dockerfiles extend the build image, and the
 * run.Dockerfiles' RUN lines make the extended run image the exporter reads.
 */
export async function applyExtensions(
  build: ExtensionsBuild,
  rootfs: string,
  repo: LayoutRepo,
  say: (line: string) => void,
): Promise<ExtendedRun> {
  const { opts, builder } = build;
  const switched = await placeSwitchedRunImage(build, rootfs, repo);
  const run = switched?.run ?? build.run;
  const common = {
    uid: builder.uid,
    gid: builder.gid,
    say,
    network: opts.network ?? ("isolated" as const),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  await applyBuildExtensions({ rootfs, builderRef: opts.builder, ...common });
  const layer = await applyRunExtensions({
    layersDir: join(rootfs, "layers"),
    runImage: run,
    platform: builder.platform,
    ...(opts.cnbkitCache ? { cacheDir: opts.cnbkitCache } : {}),
    ...common,
  });
  return { run, ...(switched ? { switchedName: switched.name } : {}), ...(layer ? { layer } : {}) };
}

/**
 * An extension's run.Dockerfile switched the run image (../../extensions/switch-run-image.ts):
 * the new one is opened as the run image is and placed in the layout repository (config only,
 * as the first; the exporter's layers come from it when the app image is written).
 */
async function placeSwitchedRunImage(
  build: BuildPart<"builder" | "say", "builder" | "pullPolicy">,
  rootfs: string,
  repo: LayoutRepo,
): Promise<{ name: string; run: BuildRunImage } | undefined> {
  const switched = await switchedRunImage(join(rootfs, "layers"), repo.runName);
  if (!switched) return undefined;
  const name = switched.image;
  build.say(`Run image switched by extension ${switched.extension} to ${name}`);
  // The image is the extension's choice, not the user's: an unreachable or wrong one is
  // named with the extension and its run.Dockerfile, where the fix is.
  const run = await openRunImage(build.builder, build.opts.builder, name, build.opts.pullPolicy).catch(
    (err: unknown) => {
      throw new CnbError(
        `extension ${switched.extension}: run.Dockerfile FROM ${name}: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
          hint: "fix the image the extension's run.Dockerfile names, or make its registry reachable from here",
        },
      );
    },
  );
  await placeImage(run.source, join(repo.dir, layoutPathOf(name)), name.slice(name.lastIndexOf(":") + 1), () => false);
  await chownLayoutDirs(repo.dir, build.builder.uid, build.builder.gid);
  return { name, run };
}
