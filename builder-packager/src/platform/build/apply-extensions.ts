/**
 * The build's extension step: after the detector, cnbkit is the extender (../../extensions):
 * a run image an extension switched to is opened and placed, the build.Dockerfiles extend
 * the build view, and the run.Dockerfiles' RUN lines make the extended run image.
 */
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { applyBuildExtensions, applyRunExtensions, switchedRunImage } from "../../extensions/index.js";
import { openRunImage } from "../build-builder.js";
import { chownLayoutDirs, layoutPathOf, placeImage } from "../layout-repo.js";
import type { LayoutRepo } from "./place-images.js";
import type { Build } from "./prepare.js";

/**
 * After the detector, cnbkit is the extender (extensions/): the run image a run.Dockerfile
 * switches to is placed, the build.Dockerfiles extend the build image, and the run.Dockerfiles'
 * RUN lines make the extended run image the exporter reads. Returns the switched image's name.
 */
export async function applyExtensions(
  build: Build,
  rootfs: string,
  repo: LayoutRepo,
  say: (line: string) => void,
): Promise<string | undefined> {
  const { opts, builder } = build;
  const switched = await placeSwitchedRunImage(build, rootfs, repo);
  const common = {
    uid: builder.uid,
    gid: builder.gid,
    say,
    network: opts.network === "none" ? ("none" as const) : ("host" as const),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  await applyBuildExtensions({ rootfs, builderRef: opts.builder ?? "", ...common });
  build.extendedRun = await applyRunExtensions({
    layersDir: join(rootfs, "layers"),
    runImage: build.run,
    platform: builder.platform,
    ...(opts.cnbkitCache ? { cacheDir: opts.cnbkitCache } : {}),
    ...common,
  });
  return switched;
}

/**
 * An extension's run.Dockerfile switched the run image (extensions/switch-run-image.ts): the
 * new one is opened as the run image is and placed in the layout repository (config only,
 * as the first; the exporter's layers come from it when the app image is written).
 */
async function placeSwitchedRunImage(build: Build, rootfs: string, repo: LayoutRepo): Promise<string | undefined> {
  const switched = await switchedRunImage(join(rootfs, "layers"), repo.runName);
  if (!switched) return undefined;
  const name = switched.image;
  build.say(`Run image switched by extension ${switched.extension} to ${name}`);
  // The image is the extension's choice, not the user's: an unreachable or wrong one is
  // named with the extension and its run.Dockerfile, where the fix is.
  build.run = await openRunImage(build.builder, build.opts.builder, name, build.opts.pullPolicy).catch(
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
  await placeImage(
    build.run.source,
    join(repo.dir, layoutPathOf(name)),
    name.slice(name.lastIndexOf(":") + 1),
    () => false,
  );
  await chownLayoutDirs(repo.dir, build.builder.uid, build.builder.gid);
  return name;
}
