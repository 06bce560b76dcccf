/**
 * The unpacked-image cache (`rootfs-by-digest`) filled from a registry whose downloads fail:
 * a download that gives up, a disk that fills (a small tmpfs), and a cnbkit SIGKILLed in the
 * middle of a layer. None may leave an entry a later build or run trusts; the next unpack makes
 * a whole one. The registry is the real distribution registry behind our fault proxy.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, expect, onTestFinished, test } from "vitest";
import type { Fault, FaultPlanProxy, PlannedRequest } from "../oci/test-fault-proxy.js";
import { type FaultRegistry, startFaultRegistry } from "../oci/test-fault-registry.js";
import { unpackImage } from "./unpack.js";

const ROOT = join(import.meta.dirname, "../../..");
let work = "";
let proxy: FaultPlanProxy;
let bigDigest = "";
let bigSha = "";
let fr: FaultRegistry | undefined;

const bigGet = (r: PlannedRequest) => r.method === "GET" && r.path.endsWith(`/blobs/${bigDigest}`);
const image = () => `${proxy.host}/acme/unpack:v1`;

/** What a cache root holds besides locks and the in-use bookkeeping: entries and temp dirs. */
async function entries(cacheDir: string): Promise<string[]> {
  const names = await readdir(join(cacheDir, "rootfs-by-digest")).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith("sha256-") || n.startsWith("chain-") || n.startsWith(".tmp-"))
    .filter((n) => !n.endsWith(".lock"));
}

beforeAll(async () => {
  fr = await startFaultRegistry({
    name: "unpack-registry-faults",
    ref: "acme/unpack:v1",
    big: { path: "opt/big.bin", bytes: 3 * 1024 * 1024, seed: 5 },
    small: "etc/hello",
    bigFirst: false,
  });
  ({ work, proxy, bigSha } = fr);
  bigDigest = fr.big.digest;
}, 60_000);

afterAll(() => fr?.stop());

beforeEach(() => proxy.setPlan(() => undefined));

let cliPath = "";
/** The CLI bundled as users get it (once per file). */
async function bundledCli(): Promise<string> {
  if (cliPath) return cliPath;
  const path = join(work, "cnbkit.mjs");
  const b = spawnSync(process.execPath, [join(ROOT, "scripts/build-cli.mjs"), path], { encoding: "utf8" });
  expect(b.status, b.stderr).toBe(0);
  cliPath = path;
  return path;
}

/** A plan for a download that gives up: the big blob's first GET is cut halfway, every retry refused. */
function cutThenRefuse(refusal: Fault): (r: PlannedRequest) => Fault | undefined {
  let first = true;
  return (r) => {
    if (!bigGet(r)) return undefined;
    if (first) {
      first = false;
      return { kind: "cut", at: 0.5 };
    }
    return refusal;
  };
}

/** Unpacks the image with no faults and checks the big file arrived whole. */
async function unpackWhole(cacheDir: string): Promise<void> {
  proxy.setPlan(() => undefined);
  const u = await unpackImage(image(), { cacheDir, prune: false });
  expect(u.cached).toBe(false);
  const got = createHash("sha256")
    .update(await readFile(join(u.rootfs, "opt/big.bin")))
    .digest("hex");
  expect(got).toBe(bigSha);
  await u.release();
}

test("a download that gives up leaves no entry; the next unpack makes a whole one", async () => {
  const cacheDir = await mkdtemp(join(work, "cache-"));
  proxy.setPlan(cutThenRefuse({ kind: "status", status: 503 }));
  const err = await unpackImage(image(), { cacheDir, prune: false, attempts: 3, backoffMs: 10 }).catch((e: Error) => e);
  expect((err as Error).message).toMatch(
    new RegExp(
      `^registry ${proxy.host}: gave up downloading blob ${bigDigest} \\(3\\.0 MiB\\) of acme/unpack at 1\\.\\d MiB \\(4\\d%\\)`,
    ),
  );
  expect(await entries(cacheDir)).toEqual([]);
  await unpackWhole(cacheDir);
});

test("a full disk while filling the cache: one line, no entry left on it", async () => {
  const disk = await mkdtemp(join(work, "disk-"));
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", disk], { encoding: "utf8" });
  expect(m.status, m.stderr).toBe(0);
  onTestFinished(() => {
    spawnSync("umount", [disk]);
  });
  // a cut on the way as well: the resume must not hide the disk's error
  proxy.setPlan((r) => (bigGet(r) && !r.range ? { kind: "cut", at: 0.3 } : undefined));
  const err = await unpackImage(image(), { cacheDir: disk, prune: false }).catch((e: Error) => e);
  expect((err as Error).message).toMatch(/: writing \/opt\/big\.bin: no space left on device \(3\.0 MiB needed, /);
  expect(await entries(disk)).toEqual([]);
});

test("a cnbkit SIGKILLed in the middle of a layer leaves no entry; the next unpack makes a whole one", async () => {
  const cacheDir = await mkdtemp(join(work, "cache-"));
  const cli = await bundledCli();
  // the big layer stalls halfway, and cnbkit is killed while it waits for the rest
  proxy.setPlan((r) => (bigGet(r) ? { kind: "stall", at: 0.5 } : undefined));
  const child = spawn(process.execPath, [cli, "run", image(), "--port", "1"], {
    stdio: "ignore",
    env: { ...process.env, CNBKIT_CACHE: cacheDir, CNBKIT_REGISTRY_STALL_TIMEOUT: "10m" },
  });
  const exited = new Promise((r) => child.once("exit", r));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  const deadline = Date.now() + 60_000;
  while (!proxy.log.some((e) => e.fault === "stall") || proxy.bytesOut < 1024 * 1024) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("cnbkit run never reached the big layer");
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 200));
  // it was filling an entry when it died
  expect((await entries(cacheDir)).filter((n) => n.startsWith(".tmp-"))).toHaveLength(1);
  child.kill("SIGKILL");
  await exited;
  expect((await entries(cacheDir)).filter((n) => !n.startsWith(".tmp-"))).toEqual([]);
  await unpackWhole(cacheDir);
  // the dead process's temp dir went with the next fill of that entry
  expect((await entries(cacheDir)).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
  expect(existsSync(join(cacheDir, "rootfs-by-digest"))).toBe(true);
}, 120_000);

test("cnbkit run, when a download gives up: one error line and its hint, exit 1, no entry", async () => {
  const cacheDir = await mkdtemp(join(work, "cache-"));
  const cli = await bundledCli();
  proxy.setPlan(cutThenRefuse({ kind: "status", status: 503, retryAfter: "0" }));
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, "run", image(), "--port", "1"], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, CNBKIT_CACHE: cacheDir },
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, stderr }));
  });
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "" && !/^(Pulling|Unpacking)/.test(l));
  expect(r.code).toBe(1);
  expect(lines).toEqual([
    expect.stringMatching(
      new RegExp(
        `^error: registry ${proxy.host}: gave up downloading blob ${bigDigest} \\(3\\.0 MiB\\) of acme/unpack at 1\\.\\d MiB \\(4\\d%\\) after 6 failed tries \\(connection cut, HTTP 503 ×5\\); resumed 1 time with Range requests$`,
      ),
    ),
    "  nothing partial was kept; run the command again (CNBKIT_REGISTRY_STALL_TIMEOUT sets how long a silent download is waited for)",
  ]);
  expect(r.stderr).not.toMatch(/terminated|\n\s+at /);
  expect(await entries(cacheDir)).toEqual([]);
}, 60_000);
