/**
 * The registry client through the faults CI meets, each injected by a proxy of our own in
 * front of the real distribution registry, for pulls and pushes: a reset before the answer, a
 * body cut halfway, 5xx, 429 with and without Retry-After, a stall, and a registry that
 * ignores Range. What arrived is checked with skopeo, straight from the registry or the layout.
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { copyImage, openImageSink, openImageSource } from "./image-store.js";
import type { LayerDescriptor } from "./layer.js";
import { RegistryClient } from "./registry.js";
import type { Fault, FaultPlanProxy, PlannedRequest } from "./test-fault-proxy.js";
import { type FaultRegistry, startFaultRegistry } from "./test-fault-registry.js";
import type { TestRegistry } from "./test-registry.js";

const execFileAsync = promisify(execFile);
/** The stall test's timeout: short, so the test is quick. */
const STALL_MS = 400;
/**
 * Every other test's: long enough that a loaded machine (CI's two test files at a time) never
 * looks like a stall, which would add a request the tests' request logs do not expect.
 */
const CALM_STALL_MS = 10_000;

let work: string;
let reg: TestRegistry;
let proxy: FaultPlanProxy;
let big: LayerDescriptor;
let imageDigest: string;
let fr: FaultRegistry | undefined;

/** The short stall timeout for a stall fault, the calm one for any other. */
const stallTimeoutFor = (fault: Fault) => (fault.kind === "stall" ? STALL_MS : CALM_STALL_MS);

function client(stallTimeoutMs = CALM_STALL_MS): RegistryClient {
  return new RegistryClient(proxy.host, { backoffMs: 20, stallTimeoutMs, chunkSize: 768 * 1024 });
}

/** Skopeo's digest of an image (async: the proxy runs in this process). */
async function skopeoDigest(ref: string): Promise<string> {
  const { stdout } = await execFileAsync("skopeo", ["inspect", "--tls-verify=false", ref]);
  return JSON.parse(stdout).Digest as string;
}

/** Faults only the first request `pick` matches; everything else goes through. */
function once(pick: (r: PlannedRequest) => boolean, fault: Fault): (r: PlannedRequest) => Fault | undefined {
  let done = false;
  return (r) => {
    if (done || !pick(r)) return undefined;
    done = true;
    return fault;
  };
}

const bigBlobGet = (r: PlannedRequest) => r.method === "GET" && r.path.endsWith(`/blobs/${big.digest}`);
const manifestGet = (r: PlannedRequest) => r.method === "GET" && /\/manifests\//.test(r.path);
const bigUpload = (r: PlannedRequest) =>
  (r.method === "PATCH" || r.method === "PUT") && /\/blobs\/uploads\//.test(r.path);

beforeAll(async () => {
  fr = await startFaultRegistry({
    name: "oci-registry-faults",
    ref: "acme/faults:v1",
    big: { path: "big.bin", bytes: 2 * 1024 * 1024, seed: 11 },
    small: "app.txt",
    bigFirst: true,
  });
  ({ work, reg, proxy, big, imageDigest } = fr);
}, 60_000);

afterAll(() => fr?.stop());

beforeEach(() => {
  proxy.setPlan(() => undefined);
  proxy.log.length = 0;
});

/** Pulls the image through the proxy into a fresh layout; returns skopeo's digest of it and the bytes the proxy sent. */
async function pull(name: string, stallTimeoutMs?: number): Promise<{ digest: string; bytesOut: number; ms: number }> {
  const before = proxy.bytesOut;
  const t0 = Date.now();
  const c = client(stallTimeoutMs);
  await copyImage(
    await openImageSource(`${proxy.host}/acme/faults:v1`, { clients: new Map([[proxy.host, c]]) }),
    await openImageSink(`oci:${join(work, name)}:v1`),
  );
  const ms = Date.now() - t0;
  return { digest: await skopeoDigest(`oci:${join(work, name)}:v1`), bytesOut: proxy.bytesOut - before, ms };
}

describe("a pull through faults gets the whole image", () => {
  const cases: [string, (r: PlannedRequest) => boolean, Fault][] = [
    ["a reset before the blob's answer", bigBlobGet, { kind: "reset" }],
    ["HTTP 500 on the blob", bigBlobGet, { kind: "status", status: 500 }],
    ["HTTP 503 on the manifest", manifestGet, { kind: "status", status: 503 }],
    ["429 without Retry-After on the blob", bigBlobGet, { kind: "status", status: 429 }],
    ["a reset before the manifest's answer", manifestGet, { kind: "reset" }],
    ["the manifest's body cut halfway", manifestGet, { kind: "cut", at: 0.5 }],
    ["the manifest's body stalled halfway", manifestGet, { kind: "stall", at: 0.5 }],
  ];
  test.each(cases)("%s", async (name, pick, fault) => {
    proxy.setPlan(once(pick, fault));
    const r = await pull(`pull-${name.replace(/\W+/g, "-")}`, stallTimeoutFor(fault));
    expect(r.digest).toBe(imageDigest);
    expect(proxy.log.filter((e) => e.fault)).toHaveLength(1);
  });

  test("a blob cut at 60% is resumed from there with a Range request, not downloaded again", async () => {
    proxy.setPlan(once(bigBlobGet, { kind: "cut", at: 0.6 }));
    const r = await pull("pull-cut");
    expect(r.digest).toBe(imageDigest);
    const gets = proxy.log.filter((e) => e.path.endsWith(big.digest));
    expect(gets.map((e) => [e.fault, e.range, e.status])).toEqual([
      ["cut", undefined, 200],
      [undefined, `bytes=${Math.floor(big.size * 0.6)}-`, 206],
    ]);
    // the image once, plus what the cut connection had in flight: far less than a second copy
    expect(r.bytesOut).toBeLessThan(big.size * 1.1);
  });

  test("a blob stalled at 40% is aborted after the stall timeout and resumed", async () => {
    proxy.setPlan(once(bigBlobGet, { kind: "stall", at: 0.4 }));
    const r = await pull("pull-stall", STALL_MS);
    expect(r.digest).toBe(imageDigest);
    expect(r.ms).toBeGreaterThanOrEqual(STALL_MS);
    const gets = proxy.log.filter((e) => e.path.endsWith(big.digest));
    expect(gets[1]?.range).toBe(`bytes=${Math.floor(big.size * 0.4)}-`);
  });

  test("a registry that ignores Range sends the whole blob again; the digest still checks", async () => {
    let cuts = 0;
    proxy.setPlan((r) =>
      bigBlobGet(r)
        ? r.range
          ? { kind: "ignore-range" }
          : cuts++ === 0
            ? { kind: "cut", at: 0.5 }
            : undefined
        : undefined,
    );
    const r = await pull("pull-no-range");
    expect(r.digest).toBe(imageDigest);
    const gets = proxy.log.filter((e) => e.path.endsWith(big.digest));
    expect(gets.map((e) => [e.fault, e.status])).toEqual([
      ["cut", 200],
      ["ignore-range", 200],
    ]);
    expect(r.bytesOut).toBeGreaterThan(big.size * 1.4);
  });

  test("429 with Retry-After: 1 waits the second it asks for", async () => {
    proxy.setPlan(once(bigBlobGet, { kind: "status", status: 429, retryAfter: "1" }));
    const r = await pull("pull-429-after");
    expect(r.digest).toBe(imageDigest);
    expect(r.ms).toBeGreaterThanOrEqual(1000);
  });
});

describe("a pull that gives up", () => {
  test("says so in one line with the facts, and leaves nothing in the layout", async () => {
    let first = true;
    proxy.setPlan((r) => {
      if (!bigBlobGet(r)) return undefined;
      if (first) {
        first = false;
        return { kind: "cut", at: 0.5 };
      }
      return { kind: "reset" };
    });
    const out = join(work, "pull-gives-up");
    const err = await copyImage(
      await openImageSource(`${proxy.host}/acme/faults:v1`, { clients: new Map([[proxy.host, client()]]) }),
      await openImageSink(`oci:${out}:v1`),
    ).then(
      () => undefined,
      (e: Error & { hint?: string }) => e,
    );
    expect(err?.message).toMatch(
      new RegExp(
        `^registry ${proxy.host}: gave up downloading blob ${big.digest} \\(2\\.0 MiB\\) of acme/faults at (0\\.9|1\\.0) MiB \\(4\\d%\\) after \\d+ failed tries \\(connection cut, connection reset ×\\d+\\); resumed 1 time with Range requests$`,
      ),
    );
    expect(err?.hint).toMatch(/nothing partial was kept/);
    // no blob of it, no temp file, no tag
    const blobs = await readdir(join(out, "blobs", "sha256"));
    expect(blobs.filter((b) => b.startsWith(".") || big.digest.endsWith(b))).toEqual([]);
    expect(JSON.parse(await readFile(join(out, "index.json"), "utf8")).manifests).toEqual([]);
  });
});

describe("a push through faults gets the whole image to the registry", () => {
  const cases: [string, (r: PlannedRequest) => boolean, Fault][] = [
    ["a reset before an upload's answer", bigUpload, { kind: "reset" }],
    ["an upload cut halfway", bigUpload, { kind: "cut", at: 0.5 }],
    ["HTTP 502 on an upload", bigUpload, { kind: "status", status: 502 }],
    ["429 without Retry-After on an upload", bigUpload, { kind: "status", status: 429 }],
    ["an upload stalled (no answer)", bigUpload, { kind: "stall", at: 1 }],
    [
      "429 with Retry-After on the manifest PUT",
      (r) => r.method === "PUT" && /\/manifests\//.test(r.path),
      { kind: "status", status: 429, retryAfter: "1" },
    ],
  ];
  test.each(cases)("%s", async (name, pick, fault) => {
    proxy.setPlan(once(pick, fault));
    const repo = `acme/push-${name.replace(/\W+/g, "-").replace(/-$/, "").toLowerCase()}`;
    const res = await copyImage(
      await openImageSource(`oci:${join(work, "src")}:v1`),
      await openImageSink(`${proxy.host}/${repo}:v1`, {
        clients: new Map([[proxy.host, client(stallTimeoutFor(fault))]]),
      }),
    );
    expect(res.descriptor.digest).toBe(imageDigest);
    expect(proxy.log.filter((e) => e.fault)).toHaveLength(1);
    expect(await skopeoDigest(`docker://${reg.host}/${repo}:v1`)).toBe(imageDigest);
  });
});

describe("a push that gives up", () => {
  test("says so in one line with the blob it was on and its size, and moves no tag", async () => {
    proxy.setPlan((r) => (bigUpload(r) ? { kind: "reset" } : undefined));
    const err = await copyImage(
      await openImageSource(`oci:${join(work, "src")}:v1`),
      await openImageSink(`${proxy.host}/acme/push-gives-up:v1`, { clients: new Map([[proxy.host, client()]]) }),
    ).then(
      () => undefined,
      (e: Error & { hint?: string }) => e,
    );
    expect(err?.message, err?.message).toMatch(
      new RegExp(
        `^registry ${proxy.host}: gave up uploading blob (sha256:[0-9a-f]{64}) \\([\\d.]+ (B|KiB|MiB)\\) to acme/push-gives-up: (start upload of|upload of|finish upload of) \\1 to acme/push-gives-up( \\(bytes \\d+-\\d+\\))? failed (after 5 attempts \\(connection reset ×5\\)|\\(connection reset, connection reset\\))$`,
      ),
    );
    expect(err?.hint).toBe("the tag was not moved; run the command again");
    const tags = await fetch(`http://${reg.host}/v2/acme/push-gives-up/tags/list`);
    expect(tags.status === 404 || !((await tags.json()) as { tags?: string[] }).tags?.includes("v1")).toBe(true);
  });
});

test("a tag list cut midway is asked again, never read as empty", async () => {
  proxy.setPlan(once((r) => r.method === "GET" && r.path.includes("/tags/list"), { kind: "cut", at: 0.5 }));
  const tags: string[] = [];
  for await (const page of client().tags("acme/faults")) tags.push(...page);
  expect(tags).toEqual(["v1"]);
  expect(proxy.log.filter((e) => e.path.includes("/tags/list")).map((e) => e.fault)).toEqual(["cut", undefined]);
});
