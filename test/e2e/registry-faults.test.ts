/**
 * The bundled CLI against a registry as CI meets it (issue #58): the real distribution registry
 * behind our fault proxy, which cuts, stalls, resets, refuses (5xx, 429 with and without
 * Retry-After) and ignores Range on a fixed rotation of the requests of each kind. Through it:
 * `builder create --publish` (the builder and its run image pushed), `build` (that builder and
 * run image pulled by a host with a port, the app pushed and signed), `inspect`, `sbom` and
 * `verify` of it (each blob read cut halfway once), `run` of it, and `rebase` onto a patched
 * run image. Every step succeeds, and skopeo, reading the registry itself, finds each image whole.
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  copyImage,
  imageConfig,
  OciLayout,
  openImageSink,
  openImageSource,
  writeLayer,
} from "../../builder-packager/src/oci/index.js";
import {
  type Fault,
  type FaultPlanProxy,
  type PlannedRequest,
  startFaultPlanProxy,
} from "../../builder-packager/src/oci/test-fault-proxy.js";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { BASE_LAYOUT, cliSession, E2E_DIR, fixtureApp, getFromImage, ROOT, runCli } from "./support.js";

const execFileAsync = promisify(execFile);
const e2e = cliSession("registry-faults");
const STALL = "5s";
let reg: TestRegistry;
let proxy: FaultPlanProxy;
let app = "";

/**
 * The faults each kind of request meets: `[period, {position: fault}]`, the n-th request of the
 * kind meeting the fault at n % period (others go through). Faults are two clean requests
 * apart, so a retry can always get through: 5 faults in a row would be a give-up, as it should.
 */
const ROTATION: Record<string, [number, Record<number, Fault>]> = {
  blobGet: [
    20,
    { 2: { kind: "cut", at: 0.5 }, 5: { kind: "stall", at: 0.4 }, 8: { kind: "reset" }, 12: { kind: "cut", at: 0.3 } },
  ],
  // resumes: every 3rd meets a registry that ignores Range
  blobResume: [3, { 2: { kind: "ignore-range" } }],
  manifestGet: [
    9,
    {
      2: { kind: "status", status: 503 },
      5: { kind: "status", status: 429, retryAfter: "1" },
      8: { kind: "cut", at: 0.5 },
    },
  ],
  head: [6, { 3: { kind: "status", status: 429 } }],
  // a stall costs STALL each time: one per 32 uploads (twice a run), the other faults twice as often
  upload: [
    32,
    {
      2: { kind: "reset" },
      6: { kind: "cut", at: 0.5 },
      10: { kind: "status", status: 500 },
      14: { kind: "stall", at: 1 },
      18: { kind: "reset" },
      22: { kind: "cut", at: 0.5 },
      26: { kind: "status", status: 500 },
    },
  ],
  manifestPut: [3, { 2: { kind: "status", status: 429, retryAfter: "1" } }],
};

function kindOf(r: PlannedRequest): string | undefined {
  if (r.method === "HEAD") return "head";
  if (r.method === "GET" && /\/blobs\/sha256:/.test(r.path)) return r.range ? "blobResume" : "blobGet";
  if (r.method === "GET" && /\/manifests\//.test(r.path)) return "manifestGet";
  if ((r.method === "PATCH" || r.method === "PUT") && /\/blobs\/uploads\//.test(r.path)) return "upload";
  if (r.method === "PUT" && /\/manifests\//.test(r.path)) return "manifestPut";
  return undefined;
}

/** Faults injected so far, by "<kind of request> <fault>". */
const injected = new Map<string, number>();

/**
 * While set (inspect, sbom and verify), the rotation is off and the first GET of each blob
 * in the set's command is cut halfway instead: each command's reads must resume.
 */
let cutEachBlobOnce: Set<string> | undefined;

function chaos(): (r: PlannedRequest) => Fault | undefined {
  const seen = new Map<string, number>();
  return (r) => {
    const kind = kindOf(r);
    if (cutEachBlobOnce) {
      if (kind !== "blobGet" || cutEachBlobOnce.has(r.path)) return undefined;
      cutEachBlobOnce.add(r.path);
      return { kind: "cut", at: 0.5 };
    }
    if (!kind) return undefined;
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    const [period, faults] = ROTATION[kind] ?? [1, {}];
    const fault = faults[n % period];
    if (fault) {
      const key = `${kind} ${fault.kind}${fault.kind === "status" ? ` ${fault.status}${fault.retryAfter ? "+Retry-After" : ""}` : ""}`;
      injected.set(key, (injected.get(key) ?? 0) + 1);
    }
    return fault;
  };
}

function cli(args: string[], env: Record<string, string> = {}) {
  return runCli(e2e.cli, [...args, ...(args[0] === "build" ? e2e.ca : [])], undefined, {
    env: { CNBKIT_REGISTRY_STALL_TIMEOUT: STALL, ...env },
  });
}

/** An Ed25519 key pair in the work dir (`sign.pem`, `sign.pub`): the build signs with it, verify checks. */
async function signingKey(): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  await writeFile(join(e2e.work, "sign.pub"), publicKey.export({ type: "spki", format: "pem" }));
  const key = join(e2e.work, "sign.pem");
  await writeFile(key, privateKey.export({ type: "pkcs8", format: "pem" }));
  return key;
}

/** The digest of an image as skopeo reads it from the registry itself (not through the proxy). */
async function registryDigest(repoTag: string): Promise<string> {
  const { stdout } = await execFileAsync("skopeo", [
    "inspect",
    "--tls-verify=false",
    `docker://${reg.host}/${repoTag}`,
  ]);
  return JSON.parse(stdout).Digest as string;
}

/** Copies every layer of a registry image to a layout with skopeo: it verifies each blob's digest. */
async function skopeoCopies(repoTag: string, name: string): Promise<void> {
  const dir = join(e2e.work, `skopeo-${name}`);
  await execFileAsync("skopeo", ["copy", "--src-tls-verify=false", `docker://${reg.host}/${repoTag}`, `oci:${dir}:x`]);
  await rm(dir, { recursive: true, force: true });
}

beforeAll(async () => {
  reg = await startRegistry();
  proxy = await startFaultPlanProxy(reg.host, chaos());
  app = await fixtureApp("hello-registry-faults", {}, join(ROOT, "examples/apps/node-hello"));
});
afterAll(async () => {
  await proxy?.stop();
  await reg?.stop();
  if (app) await rm(app, { recursive: true, force: true });
});

describe.sequential("builder create --publish, build, run and rebase through a faulty registry", () => {
  let builderRef = "";
  let appDigest = "";

  test("builder create --publish pushes the builder and its run image whole", async () => {
    // the e2e builder's parts: the local nodejs buildpack, the base images, the lifecycle
    const local = join(E2E_DIR, "reference-local");
    const reference = parseToml(await readFile(join(local, "builder.toml"), "utf8"), "builder.toml");
    const config: TomlTable = {
      description: "registry faults",
      // ca-certificates: npm in the build reaches the npm registry through this machine's TLS proxy
      buildpacks: [{ uri: join(ROOT, "buildpacks/ca-certificates") }, { uri: join(local, "nodejs.cnb") }],
      order: [{ group: [{ id: "cnbkit/ca-certificates", optional: true }, { id: "cnbkit/nodejs" }] }],
      build: { image: `oci:${BASE_LAYOUT}:build` },
      run: { images: [{ image: `oci:${BASE_LAYOUT}:run` }] },
      lifecycle: reference.lifecycle as TomlTable,
    };
    const toml = join(e2e.work, "builder.toml");
    await writeFile(toml, stringifyToml(config));
    builderRef = `${proxy.host}/acme/builder:latest`;
    const t0 = Date.now();
    const r = await cli(["builder", "create", toml, "--publish", builderRef]);
    console.log(`builder create --publish: ${Date.now() - t0} ms`);
    if (r.code !== 0) console.log(proxy.log.filter((e) => e.method !== "HEAD").slice(-12));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/^error/m);
    const digest = /\((sha256:[0-9a-f]{64})\)/.exec(r.stdout)?.[1];
    expect(await registryDigest("acme/builder:latest")).toBe(digest);
    await skopeoCopies("acme/builder:latest", "builder");
  }, 600_000);

  test("build pulls the published builder and its run image and pushes the app", async () => {
    const out = `${proxy.host}/acme/app:1`;
    const t0 = Date.now();
    // The published builder and the run image its /cnb/run.toml names, both by a registry host
    // with a port, which the lifecycle's exporter could not parse in its layout repository.
    // A cnbkit cache of its own: the builder is pulled (through the faults) every run.
    const r = await cli(
      [
        "build",
        app,
        "--builder",
        builderRef,
        "--output",
        out,
        "--cache-dir",
        join(e2e.work, "cache"),
        "--sign-key",
        await signingKey(),
      ],
      { CNBKIT_CACHE: join(e2e.work, "cnbkit-cache") },
    );
    console.log(`build: ${Date.now() - t0} ms`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    appDigest = /Successfully built .* \((sha256:[0-9a-f]{64})\)/.exec(r.stdout)?.[1] ?? "";
    expect(await registryDigest("acme/app:1")).toBe(appDigest);
    await skopeoCopies("acme/app:1", "app");
    // rebase and the fleet commands find the run image again by its real name, port and all
    const config = await (await openImageSource(`${reg.host}/acme/app:1`)).config();
    const meta = JSON.parse(config.config?.Labels?.["io.buildpacks.lifecycle.metadata"] ?? "{}");
    const runDigest = (await (await openImageSource(`${reg.host}/acme/builder-run:latest`)).image()).manifest.digest;
    expect(meta.runImage.image).toBe(`${proxy.host}/acme/builder-run:latest`);
    expect(meta.runImage.reference).toBe(`${proxy.host}/acme/builder-run@${runDigest}`);
  }, 600_000);

  test("inspect, sbom and verify read the app through blob downloads cut halfway", async () => {
    const image = `${proxy.host}/acme/app:1`;
    const commands: [string, string[], RegExp][] = [
      ["inspect", [image], /Run image: .*acme\/builder-run:latest/],
      ["sbom", [image, "--output", join(e2e.work, "sbom")], /\.json$/m],
      ["verify", [image, "--key", join(e2e.work, "sign.pub")], /^Verified .*\n {2}signatures: [1-9]/],
    ];
    for (const [command, args, says] of commands) {
      const from = proxy.log.length;
      cutEachBlobOnce = new Set();
      const r = await cli([command, ...args]).finally(() => {
        cutEachBlobOnce = undefined;
      });
      expect(r.code, `${command}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(says);
      // every blob it read was cut once and then resumed from where the cut left it
      const reads = proxy.log.slice(from).filter((e) => e.method === "GET" && /\/blobs\/sha256:/.test(e.path));
      const cut = reads.filter((e) => e.fault === "cut");
      expect(cut.length, command).toBeGreaterThan(0);
      for (const c of cut)
        expect(
          reads.some((e) => e.path === c.path && e.range?.startsWith("bytes=")),
          c.path,
        ).toBe(true);
    }
    expect(existsSync(join(e2e.work, "sbom"))).toBe(true);
  }, 120_000);

  test("run pulls the app and answers", async () => {
    // A cnbkit cache of its own: in the shared one, an app unpacked by an earlier run of this
    // file (the same digest: builds are reproducible) would be taken without a download.
    const env = { CNBKIT_REGISTRY_STALL_TIMEOUT: STALL, CNBKIT_CACHE: join(e2e.work, "run-cache") };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    const from = proxy.log.length;
    try {
      expect(await getFromImage(`${proxy.host}/acme/app:1`)).toMatch(/^200 Hello from node-hello on Node v24\.21\.0/);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const layers = proxy.log.slice(from).filter((e) => e.method === "GET" && /\/blobs\/sha256:/.test(e.path));
    expect(layers.length).toBeGreaterThan(3);
  }, 300_000);

  test("rebase onto a patched run image moves the tag to a whole image", async () => {
    // the patched run image: the builder's run image with one more layer, in the registry
    const run = await (await openImageSource(`${reg.host}/acme/builder-run:latest`)).image();
    const patched = await OciLayout.create(join(e2e.work, "run-patched"));
    await copyImage(
      await openImageSource(`${reg.host}/acme/builder-run:latest`),
      await openImageSink(`oci:${patched.dir}:run`),
    );
    const data = Buffer.from("patched\n");
    const extra = await writeLayer([{ type: "file", path: "etc/patched", size: data.length, data }], patched.blobDir);
    await patched.writeImage({
      config: imageConfig({
        architecture: run.config.architecture,
        config: run.config.config ?? {},
        diffIds: [...run.config.rootfs.diff_ids, extra.diffId],
      }),
      layers: [...run.manifest.manifest.layers, extra],
      tag: "run",
    });
    await copyImage(
      await openImageSource(`oci:${patched.dir}:run`),
      await openImageSink(`${reg.host}/acme/run:patched`),
    );
    const r = await cli(["rebase", `${proxy.host}/acme/app:1`, "--run-image", `${proxy.host}/acme/run:patched`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/^error|terminated/m); // its progress line is on stderr
    const after = /→ (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];
    expect(after).not.toBe(appDigest);
    expect(await registryDigest("acme/app:1")).toBe(after);
    await skopeoCopies("acme/app:1", "rebased");
  }, 300_000);

  test("every kind of fault was met on the way", () => {
    console.log(`faults injected: ${[...injected].map(([k, n]) => `${k} ×${n}`).join(", ")}`);
    for (const key of [
      "blobGet cut",
      "blobGet stall",
      "blobGet reset",
      "blobResume ignore-range",
      "manifestGet status 503",
      "manifestGet status 429+Retry-After",
      "head status 429",
      "upload reset",
      "upload cut",
      "upload status 500",
      "upload stall",
      "manifestPut status 429+Retry-After",
    ]) {
      expect(injected.get(key), key).toBeGreaterThan(0);
    }
  });
});
