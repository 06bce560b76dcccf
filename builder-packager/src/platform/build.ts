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
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { cnbkitCacheDir } from "../cache-dir.js";
import { pruneCacheKind, useCacheEntry } from "../cache-prune.js";
import { canonicalOciManifest, hostPlatform, type ImageConfig, type Platform } from "../oci/image.js";
import { copyImage, openImageSink, openImageSource } from "../oci/image-store.js";
import { OciLayout } from "../oci/layout.js";
import { parseReference } from "../oci/reference.js";
import { RegistryClient } from "../oci/registry.js";
import { appMetadata } from "./app-image.js";
import { builderPlatform, pinPlatform } from "./builder-platform.js";
import { chownLayoutDirs, layoutPathOf, placeImage, reclaimLayout, withBlobsFrom } from "./layout-repo.js";
import { BuildFailureTracker, exitMessage, type GroupBuildpack, LIFECYCLE_EXIT } from "./lifecycle-exit.js";
import { openRootfsView } from "./rootfs-view.js";
import { ownedPrefix, STALE_PREFIXES, sweepStale } from "./stale.js";
import { type BindMount, runContainer } from "./runc.js";
import { formatStallTimeout, stallTimeoutFromEnv } from "./stall-watchdog.js";
import { unpackImage } from "./unpack.js";
import { checkRunnable } from "./foreign-arch.js";
import { copyWorkspace, readProjectDescriptor } from "./workspace.js";

/** The platform API cnbkit speaks to the lifecycle (lifecycle 0.21 supports 0.7–0.15). */
export const PLATFORM_API = "0.14";

/** Names the app and run images carry inside the lifecycle's layout repository. */
const APP_NAME = "cnbkit.local/app";
const RUN_NAME = "cnbkit.local/run";

/** A service binding: `dir` (servicebinding.io layout: `type`, `provider`, secrets) mounted as `name`. */
export interface Binding {
  name: string;
  dir: string;
}

/** Options of {@link buildApp}. */
export interface BuildOptions {
  /** The app source directory. */
  appDir: string;
  /**
   * The builder: an unpacked root filesystem directory (with /cnb/lifecycle), or an image
   * reference (`oci:dir[:tag]`, registry ref) that is unpacked and cached by digest.
   */
  builder: string;
  /** Where the app image goes: `oci:<dir>[:tag]` or a registry reference. */
  output: string;
  /** Run image reference; default: the first image in the builder's /cnb/run.toml. */
  runImage?: string;
  /** Build-time env for buildpacks, written as /platform/env/<K> files. */
  env?: Record<string, string>;
  /** Service bindings, mounted read-only at /platform/bindings/<name>. */
  bindings?: Binding[];
  /** Build cache dir; default `<cache>/build-cache/<hash of app dir and builder>`. */
  cacheDir?: string;
  /** cnbkit's cache root (default `$CNBKIT_CACHE` or ~/.cache/cnbkit). */
  cnbkitCache?: string;
  /** CNB user when `builder` is a directory (an image's CNB_USER_ID/CNB_GROUP_ID win). */
  cnbUser?: { uid: number; gid: number };
  /** Each line the lifecycle (and cnbkit) prints, as it happens. */
  onOutput?: (line: string, stream: "stdout" | "stderr") => void;
  /** Aborting kills the build container; the output is left as it was. */
  signal?: AbortSignal;
  /** Lifecycle log level (default info). */
  logLevel?: "debug" | "info" | "warn" | "error";
  /**
   * The platform to build for (default: this machine's): picks that image from a multi-arch
   * builder's index (and from a multi-arch run image); another arch runs under qemu.
   */
  platform?: Platform;
  /**
   * Stop the build when a phase makes no progress (no output, no CPU time) for this long, in
   * ms; 0 turns the watchdog off. Default `$CNBKIT_STALL_TIMEOUT` or 5 minutes.
   */
  stallTimeoutMs?: number;
}

/** What {@link buildApp} produced. */
export interface BuildResult {
  /** The output reference as given. */
  image: string;
  /** Manifest digest of the app image. */
  digest: string;
  /** Layer names the exporter reused from the previous image ("Reusing layer '...'"). */
  reusedLayers: string[];
  /** The build cache dir used. */
  cacheDir: string;
}

interface Builder {
  rootfs: string;
  env: string[];
  uid: number;
  gid: number;
  id: string;
  /** The image's OCI architecture (amd64, arm64); a builder rootfs dir is taken as this machine's. */
  architecture: string;
  /** The platform built for (the builder image's, picked from its index when it has one). */
  platform: Platform;
}

async function resolveBuilder(opts: BuildOptions, cache: string, say: (l: string) => void): Promise<Builder> {
  const asDir = resolve(opts.builder);
  if (!opts.builder.startsWith("oci:") && existsSync(asDir)) {
    if (!existsSync(join(asDir, "cnb/lifecycle/creator"))) {
      throw new CnbError(`builder ${opts.builder}: no /cnb/lifecycle/creator in this root filesystem`);
    }
    const uid = opts.cnbUser?.uid ?? 1000;
    const gid = opts.cnbUser?.gid ?? 1000;
    const host = hostPlatform();
    if (opts.platform && opts.platform.architecture !== host.architecture) {
      throw new CnbError(
        `builder ${opts.builder} is a root filesystem of this machine (${host.os}/${host.architecture}); --platform ${opts.platform.os}/${opts.platform.architecture} needs a builder image of that platform`,
      );
    }
    return {
      rootfs: asDir,
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      uid,
      gid,
      id: asDir,
      architecture: host.architecture,
      platform: host,
    };
  }
  const unreadable = (err: unknown) =>
    err instanceof CnbError
      ? new CnbError(`builder ${opts.builder} not found or unreadable: ${err.message}`, { cause: err })
      : err;
  const source = await openImageSource(opts.builder).catch((err) => {
    throw unreadable(err);
  });
  // A multi-arch builder: the image for --platform (or this machine), its arches agreeing.
  const platform = await builderPlatform(source, opts.builder, opts.platform);
  let unpacked: Awaited<ReturnType<typeof unpackImage>>;
  try {
    unpacked = await unpackImage(source, { cacheDir: cache, onProgress: say, platform });
  } catch (err) {
    throw unreadable(err);
  }
  const env = unpacked.config.config?.Env ?? [];
  const get = (k: string) => env.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1);
  const uid = Number(get("CNB_USER_ID") ?? 1000);
  const gid = Number(get("CNB_GROUP_ID") ?? 1000);
  if (!existsSync(join(unpacked.rootfs, "cnb/lifecycle/creator"))) {
    throw new CnbError(`builder ${opts.builder}: image has no /cnb/lifecycle/creator; is it a builder?`);
  }
  return {
    rootfs: unpacked.rootfs,
    env,
    uid,
    gid,
    id: unpacked.digest,
    architecture: unpacked.config.architecture,
    platform: {
      os: unpacked.config.os,
      architecture: unpacked.config.architecture,
      ...(unpacked.config.variant ? { variant: unpacked.config.variant } : {}),
    },
  };
}

async function runImageOf(opts: BuildOptions, builder: Builder): Promise<string> {
  if (opts.runImage) return opts.runImage;
  for (const f of ["cnb/run.toml", "cnb/stack.toml"]) {
    const text = await readFile(join(builder.rootfs, f), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const doc = parseToml(text, `builder /${f}`);
    const image = f.endsWith("run.toml")
      ? ((doc.images as TomlTable[] | undefined)?.[0]?.image as string | undefined)
      : ((doc["run-image"] as TomlTable | undefined)?.image as string | undefined);
    if (image) return image;
  }
  throw new CnbError(`builder ${opts.builder}: /cnb/run.toml names no run image`, {
    hint: "pass a run image (--run-image)",
  });
}

function hash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 24);
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chown(dir, uid, gid);
}

/**
 * Builds `appDir` with the builder's buildpacks and writes the app image to `output`.
 * Throws a one-line {@link CnbError} for anything the user can fix (missing app dir or
 * builder, no buildpack detected, a failed buildpack).
 *
 * @example
 * const r = await buildApp({ appDir: "my-app", builder: "oci:out/builder", output: "oci:out/app:latest",
 *   onOutput: (l) => console.log(l) });
 */
export async function buildApp(opts: BuildOptions): Promise<BuildResult> {
  const say = (line: string) => opts.onOutput?.(line, "stdout");
  const appDir = resolve(opts.appDir);
  if (!(await stat(appDir).catch(() => undefined))?.isDirectory()) {
    throw new CnbError(`app directory ${opts.appDir} does not exist`);
  }
  const outRef = parseReference(opts.output);
  const outTag = outRef.tag ?? "latest";
  // An unreachable output registry is found out before a build, not after it.
  if (outRef.kind === "registry") await new RegistryClient(outRef.registry).ping();
  const cache = opts.cnbkitCache ?? cnbkitCacheDir();
  const builder = await resolveBuilder(opts, cache, say);
  const runImage = await runImageOf(opts, builder);
  const project = await readProjectDescriptor(appDir);

  // The run image must match the platform we build for.
  // A multi-arch run image reads as its image of the builder's platform everywhere below.
  const runSource = pinPlatform(
    await openImageSource(runImage).catch((err) => {
      throw new CnbError(`run image ${runImage} not found: ${err instanceof Error ? err.message : err}`, {
        cause: err,
      });
    }),
    builder.platform,
  );
  const runConfig = await runSource.config();
  if (runConfig.architecture !== builder.architecture) {
    throw new CnbError(
      `run image ${runImage} is ${runConfig.os ?? "linux"}/${runConfig.architecture}, but builder ${opts.builder} is linux/${builder.architecture}`,
      { hint: "use a run image of the builder's architecture (--run-image)" },
    );
  }
  const stallTimeoutMs = opts.stallTimeoutMs ?? stallTimeoutFromEnv();
  // A foreign-arch builder (arm64 here) runs its lifecycle and buildpacks under qemu.
  const execution = await checkRunnable(`builder ${opts.builder}`, runConfig, { onLog: say });
  if (execution === "emulated") {
    say(`Building for linux/${builder.architecture} under qemu emulation (slower than a native build)`);
  }

  const cacheName = hash(appDir, builder.id);
  const buildCaches = opts.cacheDir ? undefined : resolve(cache, "build-cache"); // ours to bound; a --cache-dir is the user's
  const buildCacheDir = resolve(opts.cacheDir ?? join(cache, "build-cache", cacheName));
  if (buildCaches) await useCacheEntry(buildCaches, cacheName);
  await chownTree(buildCacheDir, builder.uid, builder.gid);
  const tmpRoot = join(cache, "tmp");
  await mkdir(tmpRoot, { recursive: true });
  await sweepStale(tmpRoot);
  const work = await mkdtemp(join(tmpRoot, ownedPrefix(STALE_PREFIXES.build)));
  let view: Awaited<ReturnType<typeof openRootfsView>> | undefined;
  try {
    const { uid, gid } = builder;
    view = await openRootfsView(
      builder.rootfs,
      (l) => {
        if (opts.logLevel === "debug") say(l);
      },
      work,
    );
    // /workspace and /layers are directories of the container's own root (the per-build
    // view), not bind mounts: on one mount, a buildpack's move from the app into a layer
    // (node_modules) is a rename; across two mounts it was a copy of every file (EXDEV).
    // Made afresh, so nothing the builder image has there shows through.
    const workspace = join(view.path, "workspace");
    const layers = join(view.path, "layers");
    await Promise.all([workspace, layers].map((d) => rm(d, { recursive: true, force: true })));
    await copyWorkspace(appDir, workspace, project, { uid, gid });
    await chownTree(layers, uid, gid);
    // /platform, /cache and the layout repository.
    const platform = join(work, "platform");
    await mkdir(join(platform, "env"), { recursive: true });
    await mkdir(join(platform, "bindings"), { recursive: true });
    for (const [k, v] of Object.entries({ ...project.env, ...(opts.env ?? {}) })) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new CnbError(`--env ${k}: not a valid environment variable name`);
      await writeFile(join(platform, "env", k), v);
    }
    const mounts: BindMount[] = [
      { source: platform, destination: "/platform", readonly: true },
      { source: buildCacheDir, destination: "/cache" },
    ];
    for (const b of opts.bindings ?? []) {
      if (!(await stat(b.dir).catch(() => undefined))?.isDirectory()) {
        throw new CnbError(`binding ${b.name}: ${b.dir} is not a directory`);
      }
      if (!/^[A-Za-z0-9_.-]+$/.test(b.name))
        throw new CnbError(`binding name "${b.name}" is not a valid directory name`);
      await mkdir(join(platform, "bindings", b.name));
      mounts.push({ source: resolve(b.dir), destination: `/platform/bindings/${b.name}`, readonly: true });
    }

    const repo = join(work, "layout-repo");
    await chownTree(repo, uid, gid);
    // A registry run image keeps its name, so the app image records it (rebase finds it
    // again); a layout run image has no registry name and goes by a local one.
    const runParsed = parseReference(runImage);
    const runName =
      runParsed.kind === "registry" && !runParsed.digest
        ? `${runParsed.registry}/${runParsed.repository}:${runParsed.tag ?? "latest"}`
        : `${RUN_NAME}:latest`;
    const appName = `${APP_NAME}:${outTag}`;
    // Both images go in sparse (see placeImage): the run image without layers, the previous
    // image with only its SBOM layer, which the analyzer reads to restore launch SBOMs.
    say(`Placing run image ${runImage}`);
    await placeImage(
      runSource,
      join(repo, layoutPathOf(runName)),
      runName.slice(runName.lastIndexOf(":") + 1),
      () => false,
    );
    const appPath = join(repo, layoutPathOf(appName));
    let previous = await openImageSource(opts.output).catch(() => undefined);
    if (previous && (await previous.manifest().catch(() => undefined))) {
      say(`Previous image ${opts.output}`);
      const sbom = previousSbomLayer(await previous.config());
      await placeImage(previous, appPath, outTag, (_, diffId) => diffId === sbom);
    } else {
      previous = undefined;
    }
    await chownLayoutDirs(repo, uid, gid);
    mounts.push({ source: repo, destination: "/layout-repo" });

    const env = [
      ...builder.env.filter((e) => !e.startsWith("CNB_PLATFORM_API=")),
      `CNB_PLATFORM_API=${PLATFORM_API}`,
      "CNB_EXPERIMENTAL_MODE=warn",
      `CNB_USER_ID=${uid}`,
      `CNB_GROUP_ID=${gid}`,
      "SERVICE_BINDING_ROOT=/platform/bindings",
      `HOME=/home/cnb`,
    ];
    const args = [
      "/cnb/lifecycle/creator",
      "-app",
      "/workspace",
      "-layers",
      "/layers",
      "-platform",
      "/platform",
      "-cache-dir",
      "/cache",
      "-run-image",
      runName,
      "-layout",
      "-layout-dir",
      "/layout-repo",
      "-log-level",
      opts.logLevel ?? "info",
      appName,
    ];
    const reused: string[] = [];
    const lastLines: string[] = [];
    const group: string[] = [];
    let phase = "";
    let building: BuildFailureTracker | undefined;
    const onLine = (stream: "stdout" | "stderr") => (line: string) => {
      const show = () => opts.onOutput?.(line, stream);
      // The lifecycle colours its phase headers.
      const plain = line.replace(/\u001b\[[0-9;]*m/g, "");
      const m = /Reusing layer '([^']+)'/.exec(line);
      if (m?.[1]) reused.push(m[1]);
      lastLines.push(line);
      if (lastLines.length > 40) lastLines.shift();
      const header = /^===> (\w+)/.exec(plain);
      if (header?.[1]) {
        building?.flush();
        phase = header[1];
        if (phase === "BUILDING") building = new BuildFailureTracker(groupBuildpacks(builder.rootfs, group));
      } else if (phase === "DETECTING" && /^[^\s:]+ +\S+$/.test(plain)) {
        // The group's buildpacks, ids padded to one column: "cnbkit/nodejs          0.1.0".
        group.push(plain.replace(/ +/, "@"));
      } else if (phase === "BUILDING" && building) {
        // It may hold the failing buildpack's error line back for the final message.
        building.line(plain, stream, show);
        return;
      }
      show();
    };
    let stalled: { phase: string; idleMs: number } | undefined;
    const code = await runContainer({
      rootfs: view.path,
      args,
      env,
      cwd: "/workspace",
      user: { uid, gid },
      mounts,
      hostNetwork: true,
      onStdout: onLine("stdout"),
      onStderr: onLine("stderr"),
      signal: opts.signal,
      stall: {
        timeoutMs: stallTimeoutMs,
        onStall: (idleMs) => {
          stalled = { phase, idleMs };
        },
      },
    });
    // A failed build's last error line (and hint) goes into the one final line, not twice.
    const failure =
      code === LIFECYCLE_EXIT.failedBuild && !opts.signal?.aborted && !stalled ? building?.failure() : undefined;
    building?.flush();
    if (opts.signal?.aborted) throw new CnbError("build aborted; the output image was not changed");
    if (stalled) throw stallError(stalled.phase, stallTimeoutMs, execution, opts.output);
    if (code !== 0) {
      const hint = failure?.error === undefined ? undefined : failure.hint;
      throw new CnbError(exitMessage(code, lastLines, group, failure), hint === undefined ? undefined : { hint });
    }

    // Copy the exported image out; only now does the output change.
    // The digest is that of what was written: copying into an OCI layout normalises the
    // lifecycle's Docker media types, which changes the manifest.
    // The lifecycle's manifest is re-encoded as canonical OCI JSON first, so the same app
    // gives the same digest whether its layers were new (cold) or reused (rebuild).
    await reclaimLayout(appPath);
    const exportLayout = await OciLayout.open(appPath);
    const lifecycleManifest = await exportLayout.resolve(outTag).catch(() => exportLayout.resolve());
    let exportedRef = `oci:${appPath}@${lifecycleManifest.digest}`;
    if (lifecycleManifest.kind === "manifest") {
      const canonical = canonicalOciManifest(lifecycleManifest);
      await exportLayout.putBlob(canonical.bytes, { mediaType: canonical.descriptor.mediaType });
      exportedRef = `oci:${appPath}@${canonical.descriptor.digest}`;
    }
    // The run image's layers and the reused app layers were never placed: they come from
    // where they are.
    const exported = withBlobsFrom(await openImageSource(exportedRef), previous ? [runSource, previous] : [runSource]);
    say(`Writing ${opts.output}`);
    const { descriptor } = await copyImage(exported, await openImageSink(opts.output), { tag: outTag });
    return { image: opts.output, digest: descriptor.digest, reusedLayers: reused, cacheDir: buildCacheDir };
  } finally {
    // The view (unmounted first) is inside the work dir.
    await view?.release();
    await rm(work, { recursive: true, force: true });
    if (buildCaches) await pruneCacheKind("buildCaches", buildCaches, { keep: cacheName, onProgress: say });
  }
}

/** The one line (and hint) for a build the stall watchdog stopped in `phase`. */
function stallError(phase: string, timeoutMs: number, execution: string, output: string): CnbError {
  const where = phase ? `phase ${phase}` : "the lifecycle's start (before ANALYZING)";
  const waits =
    phase === "DETECTING" || phase === "BUILDING"
      ? `a buildpack's ${phase === "DETECTING" ? "detect" : "build"} is waiting on something (a lock, a prompt, the network)`
      : "the lifecycle is waiting on something (a registry, the disk)";
  const qemu =
    execution === "emulated"
      ? "under emulation a qemu older than 8.0 hangs Go programs: check the interpreter in /proc/sys/fs/binfmt_misc (cnbkit registers qemu >= 8 as root); otherwise "
      : "";
  return new CnbError(
    `build stalled in ${where}: no output and no CPU time for ${formatStallTimeout(timeoutMs)}; stopped the build container, ${output} is unchanged`,
    {
      hint: `${qemu}${waits}: rerun with --verbose to see the last step, or raise --stall-timeout (CNBKIT_STALL_TIMEOUT; 0 turns the watchdog off)`,
    },
  );
}

/** The diffID of the previous image's launch-SBOM layer, if it is an app image with one. */
function previousSbomLayer(config: ImageConfig): string | undefined {
  try {
    return appMetadata(config, "previous image").lifecycle.sbom?.sha;
  } catch {
    return undefined;
  }
}

/**
 * The detected group (`id@version` entries) with each buildpack's `[buildpack].name` from the
 * builder's /cnb/buildpacks, so the build output's headers can be matched to ids.
 */
function groupBuildpacks(rootfs: string, group: string[]): GroupBuildpack[] {
  return group.map((entry) => {
    const at = entry.lastIndexOf("@");
    const id = entry.slice(0, at);
    const version = entry.slice(at + 1);
    try {
      const file = join(rootfs, "cnb", "buildpacks", id.replaceAll("/", "_"), version, "buildpack.toml");
      const name = (parseToml(readFileSync(file, "utf8"), file).buildpack as TomlTable | undefined)?.name;
      return typeof name === "string" ? { id, version, name } : { id, version };
    } catch {
      return { id, version };
    }
  });
}
