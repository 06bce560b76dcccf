/**
 * The setup the fault tests share: a temp work dir with an empty DOCKER_CONFIG (no host
 * credentials reach the registry), the real distribution registry, our fault proxy in front of
 * it, and a two-layer image (one big noise file, one small file) pushed to it. The fault tests
 * for the registry client and for the unpacked-image cache each made this by hand.
 *
 * For tests and benches; the servers listen on 127.0.0.1 only.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { imageConfig } from "./image.js";
import { copyImage, openImageSink, openImageSource } from "./image-store.js";
import { type LayerDescriptor, writeLayer } from "./layer.js";
import { OciLayout } from "./layout.js";
import { type FaultPlanProxy, startFaultPlanProxy } from "./test-fault-proxy.js";
import { noise, startRegistry, type TestRegistry } from "./test-registry.js";

/** What the pushed image is made of. */
export interface FaultRegistryImage {
  /** The temp dir's name after `/tmp/cnbkit-` (a test file's name, so a leftover says whose it is). */
  name: string;
  /** Repository and tag the image is pushed as, e.g. `acme/faults:v1`. */
  ref: string;
  /** The big layer's one file: its path, size and noise seed (the size decides how much a fault can cut). */
  big: { path: string; bytes: number; seed: number };
  /** The small layer's one file, holding `hi\n`. */
  small: string;
  /** Whether the big layer comes first in the image (the order the test's request logs expect). */
  bigFirst: boolean;
}

/** A running registry behind a fault proxy, with the image pushed; `stop` undoes all of it. */
export interface FaultRegistry {
  /** The temp work dir; the pushed image's OCI layout is `<work>/src`, tagged `v1`. */
  work: string;
  reg: TestRegistry;
  proxy: FaultPlanProxy;
  /** The big layer, and the sha256 (hex) of its file's bytes, to check a pull arrived whole. */
  big: LayerDescriptor;
  bigSha: string;
  /** The image's manifest digest. */
  imageDigest: string;
  /** Stops the proxy and registry, restores DOCKER_CONFIG and removes the work dir. */
  stop(): Promise<void>;
}

/** Starts the registry and proxy and pushes the image (see {@link FaultRegistryImage}). */
export async function startFaultRegistry(image: FaultRegistryImage): Promise<FaultRegistry> {
  const savedDockerConfig = process.env.DOCKER_CONFIG;
  const work = await mkdtemp(join(tmpdir(), `cnbkit-${image.name}-`));
  process.env.DOCKER_CONFIG = join(work, "docker");
  await mkdir(process.env.DOCKER_CONFIG, { recursive: true });
  await writeFile(join(process.env.DOCKER_CONFIG, "config.json"), "{}");
  let reg: TestRegistry | undefined;
  let proxy: FaultPlanProxy | undefined;
  const stop = async () => {
    await proxy?.stop();
    await reg?.stop();
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedDockerConfig;
    await rm(work, { recursive: true, force: true });
  };
  try {
    reg = await startRegistry();
    proxy = await startFaultPlanProxy(reg.host);
    const layout = await OciLayout.create(join(work, "src"));
    const data = noise(image.big.bytes, image.big.seed);
    const bigSha = createHash("sha256").update(data).digest("hex");
    const big = await writeLayer([{ type: "file", path: image.big.path, size: data.length, data }], layout.blobDir);
    const small = await writeLayer([{ type: "file", path: image.small, size: 3, data: "hi\n" }], layout.blobDir);
    const layers = image.bigFirst ? [big, small] : [small, big];
    const config = imageConfig({ architecture: "amd64", diffIds: layers.map((l) => l.diffId) });
    const imageDigest = (await layout.writeImage({ config, layers, tag: "v1" })).digest;
    await copyImage(await openImageSource(`oci:${layout.dir}:v1`), await openImageSink(`${reg.host}/${image.ref}`));
    return { work, reg, proxy, big, bigSha, imageDigest, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
