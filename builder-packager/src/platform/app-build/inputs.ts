/**
 * The build's inputs, laid out for the lifecycle in the per-build dir (work-dir.ts): the build
 * cache (ours per app, output image and platform (build-cache-key.ts), or `--cache-dir`),
 * /workspace and /layers in the builder's view, ad-hoc buildpacks, and /platform (env files,
 * service bindings, and a multi-platform build's arch-neutral store).
 */
import { existsSync } from "node:fs";
import { chown, mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { ARCH_NEUTRAL_OUTPUTS_DIR, type ArchNeutralRole, writeArchNeutralBinding } from "@cnbkit/framework/packaging";
import { lockBuildCache, pruneCacheKind, useCacheEntry } from "../../cache/index.js";
import type { BindMount } from "../../container/index.js";
import { type AdhocBuildpack, type AdhocOrder, applyAdhocOrder } from "./adhoc-buildpacks.js";
import type { BuildBuilder } from "./builder.js";
import { type BuildCacheInputs, buildCacheName, newCacheReason, recordBuildCache } from "./build-cache-key.js";
import { type SourceTree, treeDigest } from "./record.js";
import type { ProjectDescriptor } from "./project-descriptor.js";
import { runImageShellEnv } from "./run-image-shell.js";
import { copyWorkspace } from "./workspace.js";
import { chownTree } from "./layout-repo.js";
import { clearLayerStore } from "./layer-store/index.js";
import type { Binding, BuildOptions, BuildPart } from "./options.js";

/** What {@link prepareInputs} laid out, for the lifecycle and the image's provenance. */
export interface BuildInputs {
  /** /platform and each binding, read-only. */
  mounts: BindMount[];
  /** The build env's names (provenance records names, never values). */
  envNames: string[];
  /** The digest of /workspace as the lifecycle saw it; only when the image is sealed. */
  sourceTree?: SourceTree;
}

/** What {@link prepareInputs} reads of a build. */
export type InputsBuild = BuildPart<
  "builder" | "run" | "say",
  "seal" | "env" | "bindings" | "archNeutral" | "buildpacks" | "preBuildpacks" | "postBuildpacks"
>;

/**
 * Fills the view at `root` and the work dir with what the lifecycle reads: /workspace (and,
 * when the image is sealed, its digest), the ad-hoc order, the build env and /platform.
 * With `where.seeded`, /workspace and /layers are already in the view (build-view.ts).
 *
 * The workspace copy is the slow part (an app's every file) and prints nothing, so it runs
 * while the rest is laid out and while `alongside` runs (the caller's next step, such as
 * placing the images); `alongside` starts once the rest is laid out, so the output's order is
 * that of one step after another. Returns once all of it is done; when any part fails, the
 * copy has stopped too before the error is thrown (the caller removes the dirs it writes).
 */
export async function prepareInputs<T>(
  build: InputsBuild,
  where: { root: string; work: string; appDir: string; project: ProjectDescriptor; seeded: boolean },
  alongside: () => Promise<T>,
): Promise<{ inputs: BuildInputs; alongside: T }> {
  const { opts, builder, say } = build;
  const { root, work, appDir, project } = where;
  const workspace = (async () => {
    if (!where.seeded) await fillWorkspace(root, appDir, project, builder);
    return opts.seal ? await treeDigest(join(root, "workspace")) : undefined;
  })();
  workspace.catch(() => {}); // awaited below, on every path: this only keeps Node from calling it unhandled meanwhile
  try {
    await applyAdhocOrder(root, adhocOrder(opts, project), {
      baseDir: process.cwd(),
      workDir: join(work, "adhoc"),
      platform: builder.platform,
      say,
    });
    const buildEnv = buildEnvFor(build, project.env);
    const mounts = await preparePlatform(work, buildEnv, opts.bindings ?? []);
    if (opts.archNeutral) mounts.push(...(await archNeutralMounts(work, opts.archNeutral, builder)));
    const other = await alongside();
    const sourceTree = await workspace;
    return {
      inputs: { mounts, envNames: Object.keys(buildEnv), ...(sourceTree ? { sourceTree } : {}) },
      alongside: other,
    };
  } catch (err) {
    await workspace.catch(() => {});
    throw err;
  }
}

/**
 * The build-time env: project.toml's, then the user's `--env` (theirs win), over what the
 * platform adds for the run image (`BP_RUN_IMAGE_SHELL=false` for one with no shell).
 */
function buildEnvFor(
  build: BuildPart<"run" | "say", "env">,
  projectEnv: Record<string, string>,
): Record<string, string> {
  const userEnv = { ...projectEnv, ...(build.opts.env ?? {}) };
  const shell = runImageShellEnv(build.run.config, userEnv);
  if (shell.line) build.say(shell.line);
  return { ...shell.env, ...userEnv };
}

/** What {@link useBuildCache} reads: the user's cache flags, and the image name ours is keyed on. */
export interface BuildCacheRequest extends Pick<BuildOptions, "cacheDir" | "clearCache"> {
  /** `--output` as given, or a multi-platform build's {@link BuildOptions.cacheImageName}. */
  image: string;
}

/** The build cache of a build: the user's `--cache-dir`, or ours per app, output image and platform. */
export async function useBuildCache(
  opts: BuildCacheRequest,
  cache: string,
  appDir: string,
  builder: BuildBuilder,
  say: (line: string) => void,
): Promise<{ dir: string; done: () => Promise<void> }> {
  const { os, architecture, variant } = builder.platform;
  const keyed: BuildCacheInputs = {
    appDir,
    image: opts.image,
    platform: [os, architecture, variant].filter(Boolean).join("/"),
    builder: builder.id,
  };
  const cacheName = buildCacheName(keyed);
  const buildCaches = opts.cacheDir ? undefined : resolve(cache, "build-cache"); // ours to bound; a --cache-dir is the user's
  const dir = resolve(opts.cacheDir ?? join(cache, "build-cache", cacheName));
  if (buildCaches) {
    if (!existsSync(dir) && !opts.clearCache) {
      say(
        `New build cache for this app and ${keyed.image} (${keyed.platform}): ${await newCacheReason(buildCaches, keyed)}`,
      );
    }
    await useCacheEntry(buildCaches, cacheName);
    await recordBuildCache(buildCaches, keyed).catch(() => {}); // only feeds the next build's reason
  }
  // One build at a time per cache.
  const lock = await lockBuildCache(dir, say).catch((err: Error) => {
    throw new CnbError(err.message, { hint: "Give --cache-dir a path in a folder you can write to.", cause: err });
  });
  try {
    if (opts.clearCache) {
      say("Clearing the build cache (--clear-cache): every layer is built afresh");
      await rm(dir, { recursive: true, force: true });
      await clearLayerStore(dir); // the cache layers kept by reference go too
    }
    await chownTree(dir, builder.uid, builder.gid);
  } catch (err) {
    await lock.release();
    throw err;
  }
  return {
    dir,
    done: async () => {
      await lock.release();
      if (buildCaches) await pruneCacheKind("buildCaches", buildCaches, { keep: cacheName, onProgress: say });
    },
  };
}

/** The ad-hoc order of a build: the command line's buildpacks win over project.toml's groups. */
function adhocOrder(
  opts: Pick<BuildOptions, "buildpacks" | "preBuildpacks" | "postBuildpacks">,
  project: ProjectDescriptor,
): AdhocOrder {
  const flag = (refs: string[] | undefined, where: string): AdhocBuildpack[] | undefined =>
    refs?.length ? refs.map((ref) => ({ ref, where })) : undefined;
  return {
    group: flag(opts.buildpacks, "--buildpack") ?? project.group,
    pre: flag(opts.preBuildpacks, "--pre-buildpack") ?? project.pre,
    post: flag(opts.postBuildpacks, "--post-buildpack") ?? project.post,
  };
}

/**
 * Fills /workspace (the app, as project.toml selects it) and an empty /layers in the
 * container's root. They are directories of the per-build view, not bind mounts: on one
 * mount, a buildpack's move from the app into a layer (node_modules) is a rename; across two
 * mounts it was a copy of every file (EXDEV). Made afresh, so nothing the builder image has
 * there shows through. `root` is the mounted view, or its upper dir before the mount
 * (build-view.ts), where there is nothing to delete first.
 */
export async function fillWorkspace(
  root: string,
  appDir: string,
  project: ProjectDescriptor,
  { uid, gid }: { uid: number; gid: number },
): Promise<void> {
  const workspace = join(root, "workspace");
  const layers = join(root, "layers");
  await Promise.all([workspace, layers].map((d) => rm(d, { recursive: true, force: true })));
  await copyWorkspace(appDir, workspace, project, { uid, gid });
  await chownTree(layers, uid, gid);
}

/**
 * Writes `<work>/platform` (env files) and returns the mounts of it and of each service
 * binding (read-only under /platform/bindings/<name>).
 */
async function preparePlatform(work: string, env: Record<string, string>, bindings: Binding[]): Promise<BindMount[]> {
  const platform = join(work, "platform");
  await mkdir(join(platform, "env"), { recursive: true });
  await mkdir(join(platform, "bindings"), { recursive: true });
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new CnbError(`--env ${k}: not a valid environment variable name`);
    await writeFile(join(platform, "env", k), v);
  }
  const mounts: BindMount[] = [{ source: platform, destination: "/platform", readonly: true }];
  for (const b of bindings) {
    if (!(await stat(b.dir).catch(() => undefined))?.isDirectory()) {
      throw new CnbError(`binding ${b.name}: ${b.dir} is not a directory`);
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(b.name)) throw new CnbError(`binding name "${b.name}" is not a valid directory name`);
    await mkdir(join(platform, "bindings", b.name));
    mounts.push({ source: resolve(b.dir), destination: `/platform/bindings/${b.name}`, readonly: true });
  }
  return mounts;
}

/**
 * The arch-neutral store's mounts (`@cnbkit/framework/packaging`'s binding): this build's own
 * binding dir (its `role`), with the store's shared `outputs/` over it, writable by the CNB
 * user for the build that produces, read-only for the ones that reuse, so an emulated build
 * cannot change what another restores. Own binding dirs, because the platforms' builds may
 * run at the same time, each with its own role.
 */
async function archNeutralMounts(
  work: string,
  store: { dir: string; role: ArchNeutralRole; reusers?: readonly string[] },
  { uid, gid }: BuildBuilder,
): Promise<BindMount[]> {
  if (existsSync(join(work, "platform", "bindings", ARCH_NEUTRAL_BINDING_NAME))) {
    throw new CnbError(
      `binding ${ARCH_NEUTRAL_BINDING_NAME}: the name is the multi-platform build's own; give yours another`,
    );
  }
  const binding = join(work, "arch-neutral-binding");
  await writeArchNeutralBinding(binding, store.role, store.reusers);
  const outputs = join(store.dir, ARCH_NEUTRAL_OUTPUTS_DIR);
  await mkdir(outputs, { recursive: true });
  if (store.role === "produce") await chown(outputs, uid, gid);
  await mkdir(join(work, "platform", "bindings", ARCH_NEUTRAL_BINDING_NAME));
  const destination = `/platform/bindings/${ARCH_NEUTRAL_BINDING_NAME}`;
  return [
    { source: binding, destination, readonly: true },
    { source: outputs, destination: `${destination}/${ARCH_NEUTRAL_OUTPUTS_DIR}`, readonly: store.role === "reuse" },
  ];
}

/** The arch-neutral store's binding name in the build container. */
export const ARCH_NEUTRAL_BINDING_NAME = "arch-neutral";
