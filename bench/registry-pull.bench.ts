/**
 * What a pull costs when the network cuts every blob download once, at 60% (issue #58): a
 * ~200 MB image (4 layers of 50 MB, incompressible) in the real distribution registry, pulled
 * into an OCI layout through a proxy of ours (`test-fault-proxy.ts`). Three pulls in one run:
 * a clean one, one where every blob is cut once at 60% (resumed with a Range request), and the
 * same cut with a registry that ignores Range (the blob sent again from byte 0). Printed: the
 * bytes the proxy sent beyond the image's size (the goal: at most 45% extra when resuming), the
 * time against the clean pull, and the peak RSS sampled during each pull.
 *
 * Usage: node bench/run.mjs bench/registry-pull.bench.ts
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  copyImage,
  imageConfig,
  type LayerDescriptor,
  OciLayout,
  openImageSink,
  openImageSource,
  RegistryClient,
  writeLayer,
} from "../builder-packager/src/oci/index.js";
import { type Fault, type PlannedRequest, startFaultPlanProxy } from "../builder-packager/src/oci/test-fault-proxy.js";
import { startRegistry } from "../builder-packager/src/oci/test-registry.js";
import { table } from "./stats.js";

const LAYERS = 4;
const LAYER_MB = 50;

/** A file of `mb` random MB, written in 1 MB pieces (the bench's own memory stays small). */
async function randomFile(path: string, mb: number): Promise<void> {
  const f = await open(path, "w");
  for (let i = 0; i < mb; i++) await f.write(randomBytes(1024 * 1024));
  await f.close();
}

/** Peak RSS (MB) sampled every 50 ms while `fn` runs. */
async function sampled<T>(fn: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const value = await fn();
    return { value, peakMb: Math.max(peak, process.memoryUsage().rss) / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

const work = await mkdtemp(join(tmpdir(), "cnbkit-bench-registry-pull-"));
const reg = await startRegistry();
const proxy = await startFaultPlanProxy(reg.host);
try {
  process.env.DOCKER_CONFIG = join(work, "docker");
  await mkdir(process.env.DOCKER_CONFIG, { recursive: true });
  await writeFile(join(process.env.DOCKER_CONFIG, "config.json"), "{}");
  const layout = await OciLayout.create(join(work, "src"));
  const layers: LayerDescriptor[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const file = join(work, `data-${i}.bin`);
    await randomFile(file, LAYER_MB);
    layers.push(
      await writeLayer(
        [{ type: "file", path: `data/${i}.bin`, size: LAYER_MB * 1024 * 1024, sourcePath: file }],
        layout.blobDir,
      ),
    );
    await rm(file);
  }
  const config = imageConfig({ architecture: "amd64", diffIds: layers.map((l) => l.diffId) });
  const desc = await layout.writeImage({ config, layers, tag: "v1" });
  await copyImage(await openImageSource(`oci:${layout.dir}:v1`), await openImageSink(`${reg.host}/bench/big:v1`));
  const top = await layout.resolve("v1");
  const configSize = top.kind === "manifest" ? top.manifest.config.size : 0;
  // what a pull must move at least: the manifest, the config and every layer
  const imageBytes = layers.reduce((n, l) => n + l.size, 0) + desc.size + configSize;

  const blobGet = (r: PlannedRequest) => r.method === "GET" && /\/blobs\/sha256:/.test(r.path);
  /** Cuts the first GET of every blob at 60%; with `noRange`, the registry then ignores Range. */
  const cutOnce = (noRange: boolean) => {
    const cut = new Set<string>();
    return (r: PlannedRequest): Fault | undefined => {
      if (!blobGet(r)) return undefined;
      if (r.range) return noRange ? { kind: "ignore-range" } : undefined;
      if (cut.has(r.path)) return undefined;
      cut.add(r.path);
      return { kind: "cut", at: 0.6 };
    };
  };

  const pull = async (name: string, plan: (r: PlannedRequest) => Fault | undefined) => {
    proxy.setPlan(plan);
    const before = proxy.bytesOut;
    const client = new RegistryClient(proxy.host);
    const t0 = performance.now();
    const { peakMb } = await sampled(async () =>
      copyImage(
        await openImageSource(`${proxy.host}/bench/big:v1`, { clients: new Map([[proxy.host, client]]) }),
        await openImageSink(`oci:${join(work, name)}:v1`),
      ),
    );
    const ms = performance.now() - t0;
    const pulled = await OciLayout.open(join(work, name));
    const ok = (await pulled.descriptor("v1")).digest === desc.digest;
    await rm(join(work, name), { recursive: true, force: true });
    return { sent: proxy.bytesOut - before, ms, peakMb, retries: client.stats.retries, ok };
  };

  const clean = await pull("clean", () => undefined);
  const resumed = await pull("resumed", cutOnce(false));
  const restarted = await pull("restarted", cutOnce(true));
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  const pct = (n: number) => `${((100 * (n - imageBytes)) / imageBytes).toFixed(1)}%`;
  console.log(`image: ${LAYERS} layers, ${mb(imageBytes)} (manifest ${desc.digest.slice(7, 19)})`);
  table([
    ["pull", "sent", "beyond image", "time", "vs clean", "peak RSS", "retries", "digest"],
    ...(
      [
        ["clean", clean],
        ["cut once at 60%, resumed", resumed],
        ["cut once at 60%, Range ignored", restarted],
      ] as const
    ).map(([name, r]) => [
      name,
      mb(r.sent),
      pct(r.sent),
      `${(r.ms / 1000).toFixed(2)} s`,
      `${(r.ms / clean.ms).toFixed(2)}x`,
      `${r.peakMb.toFixed(0)} MB`,
      r.retries,
      r.ok ? "ok" : "WRONG",
    ]),
  ]);
} finally {
  await proxy.stop();
  await reg.stop();
  await rm(work, { recursive: true, force: true });
}
