/**
 * `cnbkit build`: turns app source into an OCI image by running the real CNB lifecycle
 * inside the builder's root filesystem with runc, with no Docker daemon.
 *
 * One container runs the lifecycle's `creator` (analyze, detect, restore, build, export in
 * one process): fewer moving parts than five containers, one place for output and exit
 * codes, and the phases share no state through the host. The lifecycle always exports to
 * an OCI layout "repository" (experimental `-layout` mode): the run image and the previous
 * app image are placed there first, the exported app image is copied out afterwards to the
 * requested OCI layout or registry. So registry and layout outputs take one path, the run
 * image may itself be an OCI layout, and the output is only written once the build
 * succeeded (nothing half-written on failure). The build cache is a directory per app and
 * builder; the previous image (for "Reusing layer") is the current output image.
 *
 * The steps, each a file of this folder, in the order a build takes them: prepare.ts (the
 * builder, run image and mode), inputs.ts (cache, workspace, platform dir), place-images.ts
 * (the layout repository), run-lifecycle.ts (with apply-extensions.ts between detect and
 * build), write-image.ts (the image to its destinations, sealed before its tag moves).
 *
 * The unpacked builder is in use (never pruned) from its unpack until the build ends, and
 * released then. What the user sees of the lifecycle's output, and what is read from it,
 * is lifecycle-output.ts's business; cnbkit prints one digest, that of the image written.
 */
import { rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { cnbkitCacheDir } from "../../cache/index.js";
import type { BindMount, IsolatedNetwork, RootfsView } from "../../container/index.js";
import { type BuilderRequest, resolveBuilder } from "./builder.js";
import { copyBuildOutputs } from "./outputs.js";
import { LAYOUT_REPO_MOUNT } from "./lifecycle-output.js";
import { type ProjectDescriptor, readProjectDescriptor } from "./project-descriptor.js";
import { fillWorkspace, type InputsBuild, prepareInputs, useBuildCache } from "./inputs.js";
import { openBuildView } from "./build-view.js";
import { makeWorkDir } from "./work-dir.js";
import type { BuildOptions, BuildPart, BuildResult } from "./options.js";
import { type LayoutRepoBuild, prepareLayoutRepo } from "./place-images.js";
import { checkRequest, type PrepareOptions, prepareBuild, type RequestOptions } from "./prepare.js";
import { type LifecycleBuild, openBuildNetwork, runLifecycle } from "./run-lifecycle.js";
import { type WriteBuild, writeAppImage } from "./write-image.js";
import { BUILDER_LIFECYCLE, type LifecycleBinaries, nativeLifecycle } from "./native-lifecycle.js";
import { nativeNodeRuntime } from "./native-node-runtime.js";
import { guardLayers, type LayerGuard, secretBindingDirs } from "./layer-guard/index.js";
import { type LayerCache, openLayerCache } from "./layer-store/index.js";

/**
 * Builds `appDir` with the builder's buildpacks and writes the app image to `output`.
 * Throws a one-line {@link CnbError} for anything the user can fix (missing app dir or
 * builder, no buildpack detected, a failed buildpack).
 *
 * @example
 * const r = await buildApp({ appDir: "my-app", builder: "oci:out/builder", output: "oci:out/app:latest",
 *   onOutput: (l) => console.log(l) });
 */
export async function buildApp(options: BuildOptions): Promise<BuildResult> {
  const appDir = await checkAppDir(options);
  const project = await readProjectDescriptor(appDir, options.descriptor);
  const builder = builderFrom(options, project);
  return buildWithBuilder({ ...options, builder }, appDir, project);
}

/**
 * The builder a build uses: `options.builder`, else project.toml's (said in one line); none
 * at all, or no app dir, is one line.
 */
export async function builderOf(
  options: Pick<BuildOptions, "appDir" | "descriptor" | "builder" | "onOutput">,
): Promise<string> {
  const appDir = await checkAppDir(options);
  return builderFrom(options, await readProjectDescriptor(appDir, options.descriptor));
}

async function checkAppDir(options: Pick<BuildOptions, "appDir">): Promise<string> {
  const appDir = resolve(options.appDir);
  if (!(await stat(appDir).catch(() => undefined))?.isDirectory()) {
    throw new CnbError(`app directory ${options.appDir} does not exist`);
  }
  return appDir;
}

function builderFrom(options: Pick<BuildOptions, "builder" | "onOutput">, project: ProjectDescriptor): string {
  const builder = options.builder ?? project.builder;
  if (!builder) {
    throw new CnbError("no builder given: pass --builder <ref>, or set builder in project.toml's [io.buildpacks]");
  }
  if (!options.builder) options.onOutput?.(`Using builder ${builder} (from ${project.file})`, "stdout");
  return builder;
}

/**
 * What {@link buildWithBuilder} reads of the options: the request's checks, the builder and the
 * run image, the network, and what {@link buildInView}'s steps read. Nearly all of them, as the
 * steps it runs do; not the app dir and descriptor (buildApp's), nor a multi-platform build's own.
 */
type BuilderBuildOptions = RequestOptions &
  PrepareOptions &
  BuilderRequest &
  Parameters<typeof openBuildNetwork>[0] &
  Pick<BuildOptions, "onOutput" | "cnbkitCache"> &
  ViewBuild["opts"];

/** {@link buildApp} once the builder is known. */
async function buildWithBuilder(
  opts: BuilderBuildOptions,
  appDir: string,
  project: ProjectDescriptor,
): Promise<BuildResult> {
  const started = performance.now();
  const say = (line: string) => opts.onOutput?.(line, "stdout");
  // The build's isolated network starts first and is ready by the time the lifecycle runs:
  // pasta's start then costs the build nothing (bench/network.bench.ts).
  const network = openBuildNetwork(opts);
  network.catch(() => {}); // awaited (and its error thrown) by runLifecycle
  try {
    const request = await checkRequest(opts);
    const cache = opts.cnbkitCache ?? cnbkitCacheDir();
    const builder = await resolveBuilder(opts, cache, say);
    try {
      const build: ViewBuild = { opts, ...(await prepareBuild(opts, say, builder, request)) };
      return { ...(await buildInView(build, cache, appDir, project, network)), totalMs: performance.now() - started };
    } finally {
      await builder.release();
    }
  } finally {
    await network.then(
      (n) => n?.close(),
      () => {},
    );
  }
}

/**
 * What {@link buildInView} reads of a build: what each step it runs reads, and its own options
 * (the build cache, the debug log, the secrets and cache image the layer guard watches, where
 * the SBOMs and the report go).
 */
type ViewBuild = InputsBuild &
  LayoutRepoBuild &
  LifecycleBuild &
  WriteBuild &
  BinariesBuild &
  BuildPart<
    "say" | "builder" | "destinations",
    | "cacheImageName"
    | "cacheDir"
    | "clearCache"
    | "logLevel"
    | "bindings"
    | "secrets"
    | "cacheImage"
    | "sbomOutputDir"
    | "reportOutputDir"
  >;

/**
 * The steps that need the per-build dir and the builder's view: the inputs, the layout
 * repository, the lifecycle, the image written out (and the SBOM and report copies).
 */
async function buildInView(
  build: ViewBuild,
  cache: string,
  appDir: string,
  project: ProjectDescriptor,
  network: Promise<IsolatedNetwork | undefined>,
): Promise<Omit<BuildResult, "totalMs">> {
  const { builder, say } = build;
  const image = build.opts.cacheImageName ?? build.destinations[0]!.given;
  const buildCache = await useBuildCache({ ...build.opts, image }, cache, appDir, builder, say);
  const work = await makeWorkDir(cache);
  const debug = (l: string) => {
    if (build.opts.logLevel === "debug") say(l);
  };
  let view: RootfsView | undefined;
  let guard: LayerGuard | undefined;
  let layerCache: LayerCache | undefined;
  try {
    ({ build, guard } = await withSecretsGuarded(build, work, buildCache.dir));
    const { opts } = build;
    const opened = await openBuildView(builder.rootfs, work, debug, (root) =>
      fillWorkspace(root, appDir, project, builder),
    );
    view = opened.view;
    layerCache = await openLayerCache({
      buildCacheDir: buildCache.dir,
      owner: builder,
      cacheImage: opts.cacheImage !== undefined,
      say,
      debug,
    });
    const { inputs, alongside: repo } = await prepareInputs(
      build,
      { root: view.path, work, appDir, project, seeded: opened.seeded },
      () => prepareLayoutRepo(build, join(work, "layout-repo")),
    );
    // The cache and the images: the creator's, or only the analyzer's, restorer's and exporter's.
    const state: BindMount[] = [
      { source: buildCache.dir, destination: "/cache" },
      { source: repo.dir, destination: LAYOUT_REPO_MOUNT },
    ];
    const binaries = await lifecycleBinaries(build, view.path);
    const mounts = { shared: inputs.mounts, state, layerCache: layerCache.mounts };
    const lifecycle = await runLifecycle(build, view.path, repo, mounts, binaries, network);
    // Nothing leaves the work dir before every new layer is checked (layer-guard/). The lifecycle
    // exited 0 and its layers passed: as its own cache was, the store is saved then.
    const [layerGuard, store, layersDir] = [guard, layerCache, join(view.path, "layers")];
    const checked = layerGuard.check(repo.appPath, build.destinations[0]!.tag, store.changes, layersDir);
    checked.catch(() => {}); // awaited in cleared
    const written = await writeAppImage(build, repo, inputs, lifecycle, {
      cleared: async () => {
        await checked;
        await store.commit();
      },
      layers: { dir: layersDir, proven: checked },
    });
    await copyBuildOutputs(join(view.path, "layers"), { ...opts, destinations: build.destinations }, written);
    return {
      image: build.destinations[0]!.given,
      digest: written.digest,
      destinations: build.destinations,
      reusedLayers: lifecycle.output.reused,
      cacheDir: buildCache.dir,
      phases: lifecycle.output.phaseTimes(),
    };
  } finally {
    // The view (unmounted first) is inside the work dir. A build that did not commit drops its changes.
    await view?.release();
    await layerCache?.discard();
    await guard?.done();
    await rm(work, { recursive: true, force: true });
    await buildCache.done();
  }
}

/**
 * The build with its `--secret`s added as bindings of this build only (made in the work dir,
 * layer-guard/secret-flag.ts), and the guard that checks its new layers for them and for every
 * binding's values.
 */
async function withSecretsGuarded(
  build: ViewBuild,
  work: string,
  cacheDir: string,
): Promise<{ build: ViewBuild; guard: LayerGuard }> {
  const given = build.opts.bindings ?? [];
  const secrets = await secretBindingDirs(
    work,
    build.opts.secrets ?? [],
    given.map((b) => b.name),
  );
  const opts = { ...build.opts, bindings: [...given, ...secrets] };
  const guard = await guardLayers({
    cacheDir,
    work,
    sources: [...given, ...secrets.map((s) => ({ ...s, flag: true }))],
    owner: build.builder,
    output: build.opts.outputLabel ?? build.destinations[0]!.given,
    say: build.say,
    ...(opts.cacheImage ? { cacheImage: { ref: opts.cacheImage, restore: opts.clearCache !== true } } : {}),
  });
  return { build: { ...build, opts }, guard };
}

/** What {@link lifecycleBinaries} reads of a build. */
type BinariesBuild = BuildPart<"execution" | "builder" | "say", "nativeLifecycle">;

/**
 * The lifecycle a build runs, and what else of it runs natively: the builder's own, or
 * under emulation this machine's build of the lifecycle (native-lifecycle.ts) and of the
 * buildpacks' Node.js runtime (native-node-runtime.ts) when cnbkit holds them, each said in
 * one line either way.
 */
async function lifecycleBinaries(build: BinariesBuild, rootfs: string): Promise<LifecycleBinaries> {
  if (build.execution !== "emulated" || build.opts.nativeLifecycle === false) return BUILDER_LIFECYCLE;
  const lifecycle = await nativeLifecycle(rootfs, build.builder.architecture);
  build.say(lifecycle.ok ? lifecycle.line : `Running the builder's lifecycle under qemu too: ${lifecycle.reason}`);
  const binaries = lifecycle.ok ? lifecycle.binaries : BUILDER_LIFECYCLE;
  const node = await nativeNodeRuntime(rootfs, build.builder.labels, build.builder.architecture);
  if (!node.ok) {
    build.say(`Running the buildpacks' Node.js under qemu too: ${node.reason}`);
    return binaries;
  }
  build.say(node.line);
  return { ...binaries, mounts: [...binaries.mounts, ...node.mounts] };
}
