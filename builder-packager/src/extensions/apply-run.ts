/**
 * cnbkit as the extender of the run image: after the detector, the RUN lines of the detected
 * group's run.Dockerfiles are applied over the run image's rootfs (the switched one when a
 * run.Dockerfile is `FROM <image>`), and the change becomes one layer of an extended run image
 * that the exporter puts into the app image on top of the run image's layers
 * (extended-run-layout.ts). RUN lines run in runc as root after `USER root` (else as the run
 * image's user), with the host's network and proxy settings, and see the spec's build args
 * (`base_image`, `build_id`, `user_id` and `group_id` of the run image's user) and
 * extend-config.toml's `[[run.args]]`, as the lifecycle's extender gives them
 * (phase/extender.go). The run image itself stays as it was (an overlay over its cached
 * rootfs), so a rebuild starts from it again.
 */
import { randomUUID } from "node:crypto";
import { spawnSync } from "node:child_process";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { type ImageConfig, type ImageSource, type Platform, writeLayer } from "../oci/index.js";
import { dropRunState, mountOverlay, type OverlayView } from "./overlay-view.js";
import { type ContainerNetwork, overlayDiffEntries, unpackImage } from "../container/index.js";
import { extendConfigArgs, generatedDockerfile, groupExtensions, runDockerfileSteps, stepUser } from "./apply-build.js";
import type { ExtensionDockerfile } from "./dockerfile.js";
import { extendedRunBlobDir, extendedRunImage, writeExtendedRunLayout } from "./extended-run-layout.js";

/** A run.Dockerfile with RUN lines, of one extension. */
export interface RunDockerfile {
  id: string;
  dockerfile: ExtensionDockerfile;
}

/**
 * The run.Dockerfiles whose RUN lines extend the run image, in group order: those from the
 * last one that switches the run image (`FROM <image>`) on, as the lifecycle's generator
 * leaves them (it renames the earlier ones `run.Dockerfile.ignore`, which cnbkit does not read).
 */
export async function runDockerfilesToApply(layersDir: string): Promise<RunDockerfile[]> {
  const all: RunDockerfile[] = [];
  for (const ext of await groupExtensions(layersDir)) {
    const dockerfile = await generatedDockerfile(layersDir, ext.id, "run");
    if (dockerfile) all.push({ id: ext.id, dockerfile });
  }
  const lastSwitch = all.findLastIndex((r) => r.dockerfile.from !== undefined);
  return all.slice(Math.max(lastSwitch, 0)).filter((r) => r.dockerfile.steps.some((s) => s.kind === "run"));
}

/** The run image's user as the spec's `user_id` and `group_id` args: its config's `User`, else the CNB user's. */
export function runImageUser(config: ImageConfig, cnb: { uid: number; gid: number }): { uid: number; gid: number } {
  const [u, g] = (config.config?.User ?? "").split(":");
  const num = (s: string | undefined, d: number) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : d);
  return { uid: num(u, cnb.uid), gid: num(g, cnb.gid) };
}

/**
 * The lifecycle refuses a run image left running as root ("the final user ID is 0 (root)");
 * so does cnbkit, naming the extension whose USER was last.
 */
export function checkFinalRunUser(
  list: readonly RunDockerfile[],
  args: Record<string, string>,
  user: { uid: number; gid: number },
): void {
  const last = list.findLast((r) => r.dockerfile.user !== "");
  if (!last) return;
  const where = `extension ${last.id}: run.Dockerfile`;
  if (stepUser(last.dockerfile.user, args, user, where).uid === 0) {
    throw new CnbError(
      `${where}: ends as USER ${last.dockerfile.user}, so the app would run as root; end it with USER \${user_id}:\${group_id}`,
    );
  }
}

/**
 * Removes what apt caches on every run (`/var/cache/apt/*.bin`, downloaded `.deb`s), as the
 * `docker-clean` apt config of Debian's Docker images does after each apt-get: the binary
 * caches are 2 × 46 MB after an `apt-get update` here and differ from run to run, so with them
 * the extension layer was 36 MB instead of 0.1 MB for Debian's `hello`, and never the same
 * twice. apt rebuilds them when it needs them.
 */
export async function dropAptCaches(rootfs: string): Promise<void> {
  for (const dir of ["var/cache/apt", "var/cache/apt/archives", "var/cache/apt/archives/partial"]) {
    const names = await readdir(join(rootfs, dir)).catch(() => [] as string[]);
    for (const name of names) {
      if (/\.(bin|deb)$/.test(name)) await rm(join(rootfs, dir, name), { force: true });
    }
  }
}

/** What {@link applyRunExtensions} needs: the run image, the build's layers dir, who the CNB user is. */
export interface ApplyRunOptions {
  /** The host path of the build's /layers (group.toml, generated/; extended/run is written there). */
  layersDir: string;
  /** The run image the app image is built on (after any switch). */
  runImage: { ref: string; source: ImageSource; config: ImageConfig };
  platform: Platform;
  /** cnbkit's cache root, where the run image is unpacked by digest. */
  cacheDir?: string;
  uid: number;
  gid: number;
  say: (line: string) => void;
  network?: ContainerNetwork;
  signal?: AbortSignal;
}

/** What the run image extension made. */
export interface AppliedRun {
  /** The extensions whose RUN lines went into the layer. */
  extensionIds: string[];
  layer: { digest: string; size: number; changed: number; deleted: number };
}

/**
 * Applies the RUN lines of the group's run.Dockerfiles and writes the extended run image where
 * the exporter reads it; undefined when no run.Dockerfile has RUN lines. A RUN that fails is
 * one line naming the extension and the command, and nothing is left in `<layers>/extended`.
 */
export async function applyRunExtensions(o: ApplyRunOptions): Promise<AppliedRun | undefined> {
  const list = await runDockerfilesToApply(o.layersDir);
  if (list.length === 0) return undefined;
  const user = runImageUser(o.runImage.config, { uid: o.uid, gid: o.gid });
  const spec = { base_image: o.runImage.ref, user_id: String(user.uid), group_id: String(user.gid) };
  checkFinalRunUser(list, spec, user);
  const base = await o.runImage.source.image(o.platform);
  const unpacked = await unpackImage(o.runImage.source, {
    platform: o.platform,
    ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  let view: OverlayView | undefined;
  try {
    view = await mountOverlay(unpacked.rootfs);
    const commands: string[] = [];
    for (const { id, dockerfile } of list) {
      o.say(`Extending the run image with ${id}`);
      const args = { ...spec, build_id: randomUUID(), ...(await extendConfigArgs(o.layersDir, id, "run")) };
      await runDockerfileSteps({
        rootfs: view.merged,
        dockerfile,
        args,
        cnb: user,
        where: `extension ${id}: run.Dockerfile`,
        say: o.say,
        network: o.network ?? "host",
        ...(o.signal ? { signal: o.signal } : {}),
      });
      for (const s of dockerfile.steps) if (s.kind === "run") commands.push(`RUN ${s.command}`);
    }
    await dropRunState(view.merged);
    await dropAptCaches(view.merged);
    view.unmount();
    const diff = await overlayDiffEntries(view.upper, unpacked.rootfs);
    const { dir, blobs } = await extendedRunBlobDir(o.layersDir, "cnbkit-extended-run");
    try {
      const layer = await writeLayer(diff.entries, blobs);
      const extensionIds = list.map((r) => r.id);
      const image = extendedRunImage(
        { config: base.config, manifest: base.manifest.manifest },
        { ...layer, createdBy: commands.join(" && "), extensionIds },
      );
      await writeExtendedRunLayout(dir, image);
      // The exporter reads it as the CNB user.
      spawnSync("chown", ["-R", `${o.uid}:${o.gid}`, join(o.layersDir, "extended")]);
      const mb = (layer.size / 1024 / 1024).toFixed(1);
      o.say(`  Run image layer: ${diff.changed} paths added or changed, ${diff.deleted} deleted, ${mb} MB gzip`);
      return {
        extensionIds,
        layer: { digest: layer.digest, size: layer.size, changed: diff.changed, deleted: diff.deleted },
      };
    } catch (err) {
      await rm(join(o.layersDir, "extended", "run"), { recursive: true, force: true });
      throw err;
    }
  } finally {
    await view?.remove();
    await unpacked.release();
  }
}
