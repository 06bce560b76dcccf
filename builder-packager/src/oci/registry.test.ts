import { execFile, execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { imageConfig } from "./image.js";
import { copyImage, openImageSink, openImageSource } from "./image-store.js";
import { writeLayer } from "./layer.js";
import { OciLayout } from "./layout.js";
import { RegistryClient, type RegistryOptions } from "./registry.js";
import {
  type FaultProxy,
  freePort,
  startFaultProxy,
  startRegistry,
  startTokenProxy,
  type TestRegistry,
  type TokenProxy,
  noise,
} from "./test-registry.js";

let work: string;
const savedEnv = { DOCKER_CONFIG: process.env.DOCKER_CONFIG, PATH: process.env.PATH };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "oci-registry-"));
  process.env.DOCKER_CONFIG = join(work, "docker");
  await mkdir(process.env.DOCKER_CONFIG, { recursive: true });
});
afterAll(async () => {
  process.env.DOCKER_CONFIG = savedEnv.DOCKER_CONFIG;
  process.env.PATH = savedEnv.PATH;
  await rm(work, { recursive: true, force: true });
});

async function dockerConfig(cfg: unknown): Promise<void> {
  await writeFile(join(process.env.DOCKER_CONFIG!, "config.json"), JSON.stringify(cfg));
}

/** A layout with a 3-layer image tagged `tag` (one layer ~600 KB, to exercise chunking). */
async function sampleLayout(name: string, tag = "v1", seed = 7) {
  const layout = await OciLayout.create(join(work, name));
  const big = noise(600 * 1024, seed);
  const l1 = await writeLayer([{ type: "file", path: "data/big.bin", size: big.length, data: big }], layout.blobDir);
  const l2 = await writeLayer(
    [{ type: "file", path: "workspace/app.txt", size: 6, data: "hello\n", uid: 1000, gid: 1000 }],
    layout.blobDir,
  );
  const l3 = await writeLayer([{ type: "symlink", path: "bin/app", target: "/workspace/app.txt" }], layout.blobDir);
  const config = imageConfig({
    architecture: "amd64",
    diffIds: [l1.diffId, l2.diffId, l3.diffId],
    config: { User: "1000:1000", Labels: { "io.buildpacks.test": `seed-${seed}` } },
  });
  const desc = await layout.writeImage({ config, layers: [l1, l2, l3], tag });
  return { layout, desc, layers: [l1, l2, l3] };
}

function skopeoInspect(
  ref: string,
  extra: string[] = [],
): { Digest: string; Layers: string[]; Labels: Record<string, string> } {
  return JSON.parse(execFileSync("skopeo", ["inspect", "--tls-verify=false", ...extra, ref], { encoding: "utf8" }));
}

describe("open registry", () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
    await dockerConfig({});
  });
  afterAll(async () => reg?.stop());

  test("push a layout image (chunked), skopeo reads it, pull it back, push again uploads nothing", async () => {
    const { desc, layers } = await sampleLayout("push-src");
    const opts: RegistryOptions = { chunkSize: 128 * 1024 };
    const clients = new Map<string, RegistryClient>();
    const progress: [number, number][] = [];
    const first = await copyImage(
      await openImageSource(`oci:${join(work, "push-src")}:v1`),
      await openImageSink(`${reg.host}/acme/app:v1`, { ...opts, clients }),
      { onProgress: (d, t) => progress.push([d, t]) },
    );
    expect(first.descriptor.digest).toBe(desc.digest);
    expect(first.uploaded).toBe(4); // config + 3 layers
    const last = progress[progress.length - 1]!;
    expect(last[0]).toBe(last[1]);
    const top = await (await openImageSource(`oci:${join(work, "push-src")}:v1`)).manifest();
    if (top.kind !== "manifest") throw new Error("expected a manifest");
    expect(last[1]).toBe(layers.reduce((n, l) => n + l.size, 0) + top.manifest.config.size);
    expect(progress.length).toBeGreaterThan(4);

    const inspected = skopeoInspect(`docker://${reg.host}/acme/app:v1`);
    expect(inspected.Digest).toBe(desc.digest);
    expect(inspected.Layers).toEqual(layers.map((l) => l.digest));
    expect(inspected.Labels["io.buildpacks.test"]).toBe("seed-7");

    // skopeo copies it (verifying every digest) into a layout that we and umoci read back
    const copied = join(work, "skopeo-copy");
    execFileSync("skopeo", ["copy", "--src-tls-verify=false", `docker://${reg.host}/acme/app:v1`, `oci:${copied}:c`], {
      stdio: "pipe",
    });
    const back = await openImageSource(`oci:${copied}:c`);
    expect((await back.config()).config?.User).toBe("1000:1000");
    const bundle = join(work, "bundle");
    execFileSync("umoci", ["unpack", "--image", `${copied}:c`, bundle], { stdio: "pipe" });
    expect(await readdir(join(bundle, "rootfs", "data"))).toEqual(["big.bin"]);

    // pull with our client into a new layout: same digest, verified blobs
    const pulled = await copyImage(
      await openImageSource(`${reg.host}/acme/app:v1`),
      await openImageSink(`oci:${join(work, "pulled")}:p`),
    );
    expect(pulled.descriptor.digest).toBe(desc.digest);
    expect(skopeoInspect(`oci:${join(work, "pulled")}:p`).Digest).toBe(desc.digest);

    // the same input pushed again: same digest, HEAD hits, no uploads
    const again = await sampleLayout("push-src-2");
    const client = new RegistryClient(reg.host, opts);
    const second = await copyImage(
      await openImageSource(`oci:${again.layout.dir}:v1`),
      await openImageSink(`${reg.host}/acme/app:v1`, { ...opts, clients: new Map([[reg.host, client]]) }),
    );
    expect(second.descriptor.digest).toBe(desc.digest);
    expect(second.uploaded).toBe(0);
    expect(second.existing).toBe(4);
    expect(client.stats.blobUploads).toBe(0);
    expect(client.stats.blobHeads).toBe(4);
  });

  test("a push from a local layout mounts the blobs this client pushed to another repository, uploading none again", async () => {
    await sampleLayout("mount-local", "v1", 17);
    const client = new RegistryClient(reg.host);
    const clients = new Map([[reg.host, client]]);
    const src = `oci:${join(work, "mount-local")}:v1`;
    const first = await copyImage(
      await openImageSource(src),
      await openImageSink(`${reg.host}/team/run:1`, { clients }),
    );
    expect(first.uploaded).toBe(4);
    const second = await copyImage(
      await openImageSource(src),
      await openImageSink(`${reg.host}/team/builder:1`, { clients }),
    );
    expect(second.mounted).toBe(4);
    expect(second.uploaded).toBe(0);
    expect(client.stats.blobUploads).toBe(4);
    expect(skopeoInspect(`docker://${reg.host}/team/builder:1`).Digest).toBe(second.descriptor.digest);
  });

  test("cross-repository mount, index push, and skopeo copy of an index", async () => {
    await sampleLayout("mount-src", "v1", 11);
    await copyImage(
      await openImageSource(`oci:${join(work, "mount-src")}:v1`),
      await openImageSink(`${reg.host}/team/one:v1`),
    );
    const client = new RegistryClient(reg.host);
    const res = await copyImage(
      await openImageSource(`${reg.host}/team/one:v1`, { clients: new Map([[reg.host, client]]) }),
      await openImageSink(`${reg.host}/team/two:v1`, { clients: new Map([[reg.host, client]]) }),
    );
    expect(res.mounted).toBe(4);
    expect(client.stats.mounts).toBe(4);
    expect(client.stats.blobUploads).toBe(0);
    expect(skopeoInspect(`docker://${reg.host}/team/two:v1`).Digest).toBe(res.descriptor.digest);

    // a two-platform index
    const { layout, desc, layers } = await sampleLayout("multi", "amd", 13);
    const arm = await layout.writeImage({
      config: imageConfig({ architecture: "arm64", diffIds: [layers[1]!.diffId] }),
      layers: [layers[1]!],
    });
    const idx = await layout.writeIndex([desc, arm], "multi");
    const pushed = await copyImage(
      await openImageSource(`oci:${layout.dir}:multi`),
      await openImageSink(`${reg.host}/team/multi:1`),
    );
    expect(pushed.descriptor.digest).toBe(idx.digest);
    const raw = JSON.parse(
      execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${reg.host}/team/multi:1`], {
        encoding: "utf8",
      }),
    );
    expect(raw.manifests.map((m: { digest: string }) => m.digest)).toEqual([desc.digest, arm.digest]);
    const armConfig = await (await openImageSource(`${reg.host}/team/multi:1`)).config({
      os: "linux",
      architecture: "arm64",
    });
    expect(armConfig.rootfs.diff_ids).toEqual([layers[1]!.diffId]);
    const out = join(work, "multi-copy");
    execFileSync(
      "skopeo",
      ["copy", "--all", "--src-tls-verify=false", `docker://${reg.host}/team/multi:1`, `oci:${out}:m`],
      { stdio: "pipe" },
    );
    expect((await (await OciLayout.open(out)).resolve("m")).digest).toBe(idx.digest);
  });

  test("an image skopeo pushed with Docker v2 media types is read, kept as-is between registries, made OCI in a layout", async () => {
    const { layers } = await sampleLayout("docker-src", "v1", 31);
    execFileSync(
      "skopeo",
      [
        "copy",
        "-f",
        "v2s2",
        "--dest-tls-verify=false",
        `oci:${join(work, "docker-src")}:v1`,
        `docker://${reg.host}/d/app:v1`,
      ],
      { stdio: "pipe" },
    );
    const src = await openImageSource(`${reg.host}/d/app:v1`);
    const { manifest, config } = await src.image();
    expect(manifest.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(manifest.manifest.layers[0]?.mediaType).toBe("application/vnd.docker.image.rootfs.diff.tar.gzip");
    expect(config.rootfs.diff_ids).toEqual(layers.map((l) => l.diffId));
    // into a layout, the manifest is rewritten with OCI types (skopeo ignores Docker-typed entries there)
    const res = await copyImage(src, await openImageSink(`oci:${join(work, "docker-pulled")}:v1`));
    expect(res.descriptor.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    const inspected = skopeoInspect(`oci:${join(work, "docker-pulled")}:v1`);
    expect(inspected.Digest).toBe(res.descriptor.digest);
    expect(inspected.Layers).toEqual(manifest.manifest.layers.map((l) => l.digest));
    // registry to registry keeps the Docker manifest byte for byte
    const same = await copyImage(src, await openImageSink(`${reg.host}/d/copy:v1`));
    expect(same.descriptor.digest).toBe(manifest.digest);
  });

  test("a blob corrupted in the registry's storage fails digest verification on pull", async () => {
    const { layers } = await sampleLayout("corrupt", "v1", 17);
    await copyImage(
      await openImageSource(`oci:${join(work, "corrupt")}:v1`),
      await openImageSink(`${reg.host}/x/corrupt:v1`),
    );
    const hex = layers[1]!.digest.slice(7);
    const data = join(reg.storage, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
    // Rot that keeps the size, as a disk's does: the registry (its blob descriptor cache knows
    // the size) serves every byte, and only the digest tells.
    await writeFile(data, Buffer.alloc(layers[1]!.size, "x"));
    const client = new RegistryClient(reg.host);
    await expect(client.getBlobBytes("x/corrupt", layers[1]!.digest)).rejects.toThrow(
      /has content with digest sha256:/,
    );
    await expect(
      copyImage(
        await openImageSource(`${reg.host}/x/corrupt:v1`),
        await openImageSink(`oci:${join(work, "corrupt-pull")}:v1`),
      ),
    ).rejects.toThrow(/has content with digest|expected/);
  });

  test("missing images and unreachable registries are one-line errors", async () => {
    await expect(new RegistryClient(reg.host).getManifest("nope/nope", "v1")).rejects.toThrow(
      `${reg.host}/nope/nope:v1: not found in the registry`,
    );
    const port = await freePort();
    const err = await new RegistryClient(`127.0.0.1:${port}`).ping().catch((e: Error) => e);
    expect((err as Error).message).toBe(`cannot reach registry 127.0.0.1:${port}: connection refused`);
  });
});

describe("registry with htpasswd basic auth", () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ users: { alice: "s3cret" } });
  });
  afterAll(async () => reg?.stop());

  test("credentials from config.json auths push; a wrong password is refused in one line", async () => {
    await sampleLayout("basic-src", "v1", 19);
    await dockerConfig({ auths: { [reg.host]: { auth: Buffer.from("alice:s3cret").toString("base64") } } });
    const res = await copyImage(
      await openImageSource(`oci:${join(work, "basic-src")}:v1`),
      await openImageSink(`${reg.host}/acme/basic:v1`),
    );
    expect(skopeoInspect(`docker://${reg.host}/acme/basic:v1`, ["--creds", "alice:s3cret"]).Digest).toBe(
      res.descriptor.digest,
    );
    // username/password form is read too
    await dockerConfig({ auths: { [`http://${reg.host}`]: { username: "alice", password: "s3cret" } } });
    expect((await new RegistryClient(reg.host).getManifest("acme/basic", "v1")).digest).toBe(res.descriptor.digest);

    await dockerConfig({ auths: { [reg.host]: { auth: Buffer.from("alice:wrong").toString("base64") } } });
    const err = await new RegistryClient(reg.host).getManifest("acme/basic", "v1").catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `registry ${reg.host} refused credentials for acme/basic: check ~/.docker/config.json`,
    );
    await dockerConfig({});
    const anon = await new RegistryClient(reg.host).getManifest("acme/basic", "v1").catch((e: Error) => e);
    expect((anon as Error).message).toMatch(`registry ${reg.host} requires credentials for acme/basic`);
  });
});

describe("bearer-token auth (token proxy in front of the registry)", () => {
  let reg: TestRegistry;
  let proxy: TokenProxy;
  beforeAll(async () => {
    reg = await startRegistry();
    proxy = await startTokenProxy(reg.host, { bob: "tok-pass" });
  });
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  test("credentials from a docker-credential helper get scoped tokens, cached per scope", async () => {
    const bin = join(work, "bin");
    await mkdir(bin, { recursive: true });
    const helper = join(bin, "docker-credential-cnbtest");
    await writeFile(
      helper,
      `#!/bin/sh\nread server\nif [ "$server" = "${proxy.host}" ]; then echo '{"Username":"bob","Secret":"tok-pass"}'; else exit 1; fi\n`,
    );
    await chmod(helper, 0o755);
    process.env.PATH = `${bin}:${savedEnv.PATH}`;
    await dockerConfig({ credHelpers: { [proxy.host]: "cnbtest" } });

    const { desc } = await sampleLayout("bearer-src", "v1", 23);
    const client = new RegistryClient(proxy.host, { chunkSize: 256 * 1024 });
    const res = await copyImage(
      await openImageSource(`oci:${join(work, "bearer-src")}:v1`),
      await openImageSink(`${proxy.host}/acme/bearer:v1`, { clients: new Map([[proxy.host, client]]) }),
    );
    expect(res.descriptor.digest).toBe(desc.digest);
    expect(res.uploaded).toBe(4);
    // one 401 + one token for the push scope, then the token is reused for every request
    expect(proxy.tokenRequests).toBe(1);
    expect(client.stats.requests).toBeGreaterThan(10);

    const pulled = await new RegistryClient(proxy.host).getManifest("acme/bearer", "v1");
    expect(pulled.digest).toBe(desc.digest);
    expect(proxy.tokenRequests).toBe(2); // a new client asks for a pull token
    // async: the token proxy runs in this process, so a sync child would deadlock it
    const { stdout } = await promisify(execFile)("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--creds",
      "bob:tok-pass",
      `docker://${proxy.host}/acme/bearer:v1`,
    ]);
    expect(JSON.parse(stdout).Digest).toBe(desc.digest);

    await dockerConfig({ auths: { [proxy.host]: { username: "bob", password: "nope" } } });
    const err = await new RegistryClient(proxy.host).getManifest("acme/bearer", "v1").catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `registry ${proxy.host} refused credentials for acme/bearer: check ~/.docker/config.json`,
    );
  });
});

describe("faults between client and registry", () => {
  let reg: TestRegistry;
  let proxy: FaultProxy;
  let lossy: FaultProxy;
  beforeAll(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.host, 3);
    lossy = await startFaultProxy(reg.host, 5, { afterForward: true });
    await dockerConfig({});
  });
  afterAll(async () => {
    await lossy?.stop();
    await proxy?.stop();
    await reg?.stop();
  });

  test("responses lost after the registry acted (chunk stored, upload committed) restart the blob and finish", async () => {
    const { desc } = await sampleLayout("lossy-src", "v1", 37);
    const client = new RegistryClient(lossy.host, { chunkSize: 200 * 1024, backoffMs: 20, attempts: 6 });
    const res = await copyImage(
      await openImageSource(`oci:${join(work, "lossy-src")}:v1`),
      await openImageSink(`${lossy.host}/acme/lossy:v1`, { clients: new Map([[lossy.host, client]]) }),
      { concurrency: 1 },
    );
    expect(res.descriptor.digest).toBe(desc.digest);
    expect(lossy.faults).toBeGreaterThanOrEqual(3); // the 3rd fault is a lost response
    // a lost response on an upload session costs a blob restart on top of the per-request retries
    expect(client.stats.retries).toBeGreaterThan(lossy.faults);
    console.log(`lossy proxy: ${lossy.requests} requests, ${lossy.faults} faults, ${client.stats.retries} retries`);
    const out = join(work, "lossy-verify");
    execFileSync("skopeo", ["copy", "--src-tls-verify=false", `docker://${reg.host}/acme/lossy:v1`, `oci:${out}:v`], {
      stdio: "pipe",
    });
    expect(skopeoInspect(`oci:${out}:v`).Digest).toBe(desc.digest);
  });

  test("a push through a proxy that fails every 3rd request still completes an image skopeo verifies", async () => {
    const { desc } = await sampleLayout("fault-src", "v1", 29);
    const client = new RegistryClient(proxy.host, { chunkSize: 100 * 1024, backoffMs: 20, attempts: 6 });
    const res = await copyImage(
      await openImageSource(`oci:${join(work, "fault-src")}:v1`),
      await openImageSink(`${proxy.host}/acme/faulty:v1`, { clients: new Map([[proxy.host, client]]) }),
    );
    expect(res.descriptor.digest).toBe(desc.digest);
    expect(proxy.faults).toBeGreaterThan(3);
    expect(client.stats.retries).toBe(proxy.faults);
    console.log(
      `fault proxy: ${proxy.requests} requests, ${proxy.faults} faults injected, ${client.stats.retries} retries`,
    );
    // skopeo copies straight from the registry, verifying every blob digest
    const out = join(work, "fault-verify");
    execFileSync("skopeo", ["copy", "--src-tls-verify=false", `docker://${reg.host}/acme/faulty:v1`, `oci:${out}:v`], {
      stdio: "pipe",
    });
    expect(skopeoInspect(`oci:${out}:v`).Digest).toBe(desc.digest);
    // and a pull through the faulty proxy verifies too
    const pulled = await copyImage(
      await openImageSource(`${proxy.host}/acme/faulty:v1`, { backoffMs: 20, attempts: 6 }),
      await openImageSink(`oci:${join(work, "fault-pull")}:v`),
    );
    expect(pulled.descriptor.digest).toBe(desc.digest);
  });
});
