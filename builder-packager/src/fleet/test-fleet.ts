/**
 * For tests and the bench: a fleet in a real registry, made from real cnbkit builds. Each
 * app image (built by the caller with the real lifecycle) is put onto a run image pushed to
 * the registry (`<prefix>base/run`), once on its first version and once on a patched second
 * one, with `cnbkit rebase`'s code; then many images are made from those templates, across
 * repositories and tags, each with a config of its own (a revision label) so each has a
 * digest of its own, as a team's deployed versions do. Some are signed with provenance and
 * SBOM attestations (cnbkit's own sealing), some carry what image extensions leave (the
 * not-rebasable label and an extension's history line), and some images are not CNB apps.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  copyImage,
  type Digest,
  type ImageConfig,
  type ImageSource,
  jsonBlob,
  MEDIA_TYPES,
  OciLayout,
  openImageSink,
  openImageSource,
  RegistryClient,
  writeLayer,
} from "../oci/index.js";
import { rebaseImage } from "../platform/index.js";
import { sealRebase, type SigningKey } from "../supply-chain/index.js";

/** What fleet to make. */
export interface FleetSpec {
  /** `host:port` of the registry. */
  registry: string;
  /** Prefix of every repository made (`fleet/`). */
  prefix: string;
  /** The app images to copy from (`oci:…` or registry refs), each a real cnbkit build. */
  apps: string[];
  /** The run image they were built on. */
  runImage: string;
  repositories: number;
  tagsPerRepository: number;
  /** Every `signEvery`-th image is signed and attested with `key`. */
  sign?: { key: SigningKey; every: number };
  /** Every `extendedEvery`-th image carries what image extensions leave. */
  extendedEvery?: number;
  /** How many plain (non-CNB) images to push beside the apps. */
  others?: number;
  concurrency?: number;
}

/** What {@link makeFleet} made. */
export interface Fleet {
  /** `host/prefix/base/run`: its tag `latest` names run image v2 now. */
  runRepository: string;
  runV1: Digest;
  runV2: Digest;
  /** Every app image made, as `host/repo:tag`, with whether it is on v1 (behind). */
  images: { ref: string; behind: boolean; signed: boolean; extended: boolean }[];
  /** Pushes another version of the run image (one more patch layer) as `latest`; returns its digest. */
  patchAgain(): Promise<Digest>;
}

/** A run image with one more layer (a "patch"), pushed as `<runRepository>:<tag>`. */
async function pushPatchedRun(from: string, to: string, patch: string): Promise<Digest> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-fleet-run-"));
  try {
    const src = await openImageSource(from);
    const { manifest, config } = await src.image();
    const layout = await OciLayout.create(dir);
    const layer = await writeLayer(
      [
        { type: "dir", path: "etc" },
        {
          type: "file",
          path: "etc/cnbkit-run-patch",
          mode: 0o644,
          size: Buffer.byteLength(patch),
          data: Buffer.from(patch),
        },
      ],
      layout.blobDir,
    );
    for (const l of manifest.manifest.layers) {
      if (!(await layout.hasBlob(l.digest)))
        await layout.putBlob(await src.blob(l.digest), { digest: l.digest, size: l.size });
    }
    const next: ImageConfig = {
      ...config,
      rootfs: { type: "layers", diff_ids: [...config.rootfs.diff_ids, layer.diffId] },
      history: [...(config.history ?? []), { created: "1980-01-01T00:00:01Z", created_by: `patch ${patch}` }],
    };
    const cfg = jsonBlob(next, MEDIA_TYPES.config);
    await layout.putBlob(cfg.bytes, { mediaType: MEDIA_TYPES.config });
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        config: cfg.descriptor,
        layers: [...manifest.manifest.layers, { mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
      }),
    );
    const desc = await layout.putManifest(bytes, MEDIA_TYPES.manifest, "patched");
    await copyImage(await openImageSource(`oci:${dir}:patched`), await openImageSink(to));
    return desc.digest;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` over `items`, `limit` at once. */
async function each<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** An image source whose blobs are read once and kept (SBOM layers shared by many images). */
function cachingSource(src: ImageSource, cache: Map<string, Promise<Buffer>>): ImageSource {
  return {
    ...src,
    blob: async (digest) => {
      let hit = cache.get(digest);
      if (!hit) {
        hit = (async () => {
          const chunks: Buffer[] = [];
          for await (const c of await src.blob(digest)) chunks.push(c as Buffer);
          return Buffer.concat(chunks);
        })();
        cache.set(digest, hit);
      }
      return Readable.from([await hit]);
    },
  };
}

/**
 * Makes the fleet described by `spec` in its registry.
 *
 * @example
 * const fleet = await makeFleet({ registry, prefix: "fleet/", apps: [app], runImage: `oci:${base}:run`, repositories: 4, tagsPerRepository: 3 });
 */
export async function makeFleet(spec: FleetSpec): Promise<Fleet> {
  const host = spec.registry;
  const runRepository = `${host}/${spec.prefix}base/run`;
  const clients = new Map<string, RegistryClient>();
  const store = { clients };
  await copyImage(await openImageSource(spec.runImage), await openImageSink(`${runRepository}:1`, store));
  const runV1 = (await (await openImageSource(`${runRepository}:1`, store)).manifest()).digest as Digest;
  await copyImage(
    await openImageSource(`${runRepository}:1`, store),
    await openImageSink(`${runRepository}:latest`, store),
  );
  // Templates: each app on v1, then (after the patch) on v2.
  const templates: { ref: string; behind: boolean }[] = [];
  for (const [i, app] of spec.apps.entries()) {
    const ref = `${host}/${spec.prefix}templates/app${i}:v1`;
    await rebaseImage({ image: app, runImage: `${runRepository}:latest`, output: ref, clients });
    templates.push({ ref, behind: true });
  }
  const runV2 = await pushPatchedRun(`${runRepository}:1`, `${runRepository}:latest`, "openssl 3.5.4-1~deb13u2");
  for (const [i] of spec.apps.entries()) {
    const ref = `${host}/${spec.prefix}templates/app${i}:v2`;
    await rebaseImage({ image: templates[i]!.ref, runImage: `${runRepository}:latest`, output: ref, clients });
    templates.push({ ref, behind: false });
  }
  const reg = clients.get(host) ?? new RegistryClient(host);
  clients.set(host, reg);
  const loaded = await Promise.all(
    templates.map(async (t) => {
      const src = await openImageSource(t.ref, store);
      return { ...t, src, image: await src.image() };
    }),
  );
  const sbomBlobs = new Map<string, Promise<Buffer>>();
  const mounted = new Map<string, Map<string, Promise<unknown>>>();
  const jobs = Array.from({ length: spec.repositories * spec.tagsPerRepository }, (_, n) => n);
  const images: Fleet["images"] = [];
  await each(jobs, spec.concurrency ?? 16, async (n) => {
    const r = Math.floor(n / spec.tagsPerRepository);
    const t = loaded[(r + n) % loaded.length]!;
    const repository = `${spec.prefix}team-${r % 7}/app-${r}`;
    const ref = `${host}/${repository}:1.0.${n % spec.tagsPerRepository}`;
    const extended = spec.extendedEvery !== undefined && n % spec.extendedEvery === spec.extendedEvery - 1;
    const labels: Record<string, string> = {
      ...t.image.config.config?.Labels,
      "org.opencontainers.image.revision": `fleet-${n}`,
    };
    const history = [...(t.image.config.history ?? [])];
    if (extended) {
      labels["io.buildpacks.rebasable"] = "false";
      history.splice(t.image.config.rootfs.diff_ids.length - 1, 0, {
        created: "1980-01-01T00:00:01Z",
        created_by: "Layer: 'RUN apt-get install -y libvips', Created by extension: acme/apt",
      });
    }
    const config = jsonBlob(
      { ...t.image.config, config: { ...t.image.config.config, Labels: labels }, history },
      MEDIA_TYPES.config,
    );
    const from = t.ref.split(":v")[0]!.slice(host.length + 1);
    // Each repository gets each layer once (a mount); later images of it only add a config.
    const have = mounted.get(repository) ?? new Map<string, Promise<unknown>>();
    mounted.set(repository, have);
    for (const l of t.image.manifest.manifest.layers) {
      if (!have.has(l.digest)) {
        const blob = { digest: l.digest, size: l.size, open: async () => t.src.blob(l.digest) };
        have.set(l.digest, reg.putBlob(repository, blob, { mountFrom: from }));
      }
      await have.get(l.digest);
    }
    await reg.putBlob(repository, {
      digest: config.descriptor.digest,
      size: config.bytes.length,
      open: async (s, e) => Readable.from([config.bytes.subarray(s, e)]),
    });
    const manifest = Buffer.from(
      JSON.stringify({ ...JSON.parse(t.image.manifest.bytes.toString()), config: config.descriptor }),
    );
    const digest = await reg.putManifest(
      repository,
      ref.slice(ref.lastIndexOf(":") + 1),
      manifest,
      t.image.manifest.mediaType,
    );
    const signed = spec.sign !== undefined && n % spec.sign.every === 0;
    if (signed) {
      const source = cachingSource(
        await openImageSource({ kind: "registry", registry: host, repository, digest }, store),
        sbomBlobs,
      );
      const now = new Date(Date.UTC(2026, 10, 1 + (n % 20)));
      await sealRebase(
        { kind: "registry", registry: host, repository, tag: ref.slice(ref.lastIndexOf(":") + 1) },
        digest,
        spec.sign!.key,
        {
          previous: { ref: t.ref, digest: t.image.manifest.digest },
          oldRunImage: { ref: `${runRepository}:1` },
          newRunImage: { ref: `${runRepository}:latest`, digest: t.behind ? runV1 : runV2, topLayer: "" },
          output: ref,
          startedOn: now,
          finishedOn: now,
        },
        source,
      );
    }
    images.push({ ref, behind: t.behind, signed, extended });
  });
  for (let i = 0; i < (spec.others ?? 0); i++) {
    await copyImage(
      await openImageSource(`${runRepository}:1`, store),
      await openImageSink(`${host}/${spec.prefix}infra/tool-${i}:1`, store),
    );
  }
  images.sort((a, b) => (a.ref < b.ref ? -1 : 1));
  let patches = 0;
  return {
    runRepository,
    runV1,
    runV2,
    images,
    // Each patch is a layer of its own: the same text twice would give the same image, a no-op.
    patchAgain: () =>
      pushPatchedRun(`${runRepository}:latest`, `${runRepository}:latest`, `openssl 3.5.5-${++patches}~deb13u1`),
  };
}
