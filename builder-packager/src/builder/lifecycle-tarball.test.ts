/**
 * `[lifecycle] version` outside a checkout: the official release tarball, served here by a
 * loopback server (or a directory, or the file) standing in for GitHub through
 * CNBKIT_LIFECYCLE_MIRROR, checked against the sha256 the test injects, cached by it; the
 * Go-built lifecycle in the cache stays the first choice.
 */
import { execFileSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CnbError } from "@cnbkit/framework";
import { hostPlatform } from "../oci/index.js";
import { cachedLifecycleDir, loadLifecycle } from "./lifecycle-binary.js";
import { type LifecycleReleases, releaseAsset, releaseUri } from "./lifecycle-tarball.js";

const VERSION = "0.21.17";
const arch = hostPlatform().architecture;
const asset = releaseAsset(VERSION, arch);
let work = "";
let tgz = "";
let sha = "";
let server: http.Server;
let base = "";
const requests: string[] = [];
/** What each test release publishes beside the tarball, by file name. */
const releases: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-lifecycle-release-"));
  // Shaped like the release: lifecycle.toml at the top, the binaries in lifecycle/.
  const rel = join(work, "release");
  await cp(cachedLifecycleDir(VERSION, arch), join(rel, "lifecycle"), { recursive: true, verbatimSymlinks: true });
  await rm(join(rel, "lifecycle", "lifecycle.toml"));
  await cp(join(cachedLifecycleDir(VERSION, arch), "lifecycle.toml"), join(rel, "lifecycle.toml"));
  await mkdir(join(work, "mirror", `v${VERSION}`), { recursive: true });
  tgz = join(work, "mirror", `v${VERSION}`, asset);
  execFileSync("tar", ["-czf", tgz, "-C", rel, "lifecycle.toml", "lifecycle"]);
  sha = createHash("sha256")
    .update(await readFile(tgz))
    .digest("hex");
  // `/<release>/releases/download/…`: each test names a release laid out as it needs (the
  // tarball, its .sha256, the checksums file); `/releases/download/…` has the tarball alone.
  server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    const url = decodeURIComponent(req.url ?? "");
    const m = /^(?:\/([a-z-]+))?\/releases\/download\/v[^/]+\/(.+)$/.exec(url);
    const release = releases[m?.[1] ?? ""] ?? {};
    const name = m?.[2] ?? "";
    if (name === asset) {
      res.writeHead(200, { "content-type": "application/gzip" });
      return void createReadStream(tgz).pipe(res);
    }
    const text = release[name];
    if (text === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/plain" }).end(text);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/releases/download`;
}, 300_000);
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  if (work) await rm(work, { recursive: true, force: true });
});

/** loadLifecycle for `[lifecycle] version`, with a cache and mirror of the test's own. */
async function load(name: string, env: Record<string, string>, releases?: LifecycleReleases) {
  const ctx = { baseDir: work, workDir: join(work, "w", name), file: "builder.toml" };
  const table = releases ?? { [VERSION]: { [arch]: sha } };
  return loadLifecycle({ version: VERSION }, arch, {
    ...ctx,
    releases: table,
    env: { CNBKIT_CACHE: join(work, "cache"), ...env },
  });
}

describe("the lifecycle by version from its release", () => {
  test("downloaded from CNBKIT_LIFECYCLE_MIRROR (a URL base), verified, then taken from the cache", async () => {
    const lc = await load("url", { CNBKIT_LIFECYCLE_MIRROR: base });
    expect(lc.version).toBe(VERSION);
    expect(requests).toEqual([`/releases/download/v${VERSION}/${asset}`]);
    const again = await load("url-again", { CNBKIT_LIFECYCLE_MIRROR: base });
    expect(again.version).toBe(VERSION);
    expect(requests).toHaveLength(1);
    // The cache is the cnbkit cache's lifecycle folder, keyed by the sha256.
    await expect(readFile(join(work, "cache", "lifecycle", "releases", sha))).resolves.toBeDefined();
  });

  test("GitHub's URL by default; a mirror directory (nested or flat) or the file itself for air-gapped users", async () => {
    const gh = `https://github.com/buildpacks/lifecycle/releases/download/v${VERSION}/${asset}`;
    expect(releaseUri(VERSION, arch, {})).toBe(gh);
    expect(releaseAsset(VERSION, "amd64")).toBe(`lifecycle-v${VERSION}+linux.x86-64.tgz`);
    expect(releaseAsset(VERSION, "arm64")).toBe(`lifecycle-v${VERSION}+linux.arm64.tgz`);
    const flat = join(work, "flat");
    await mkdir(flat);
    await symlink(tgz, join(flat, asset));
    for (const [name, mirror] of [
      ["dir", join(work, "mirror")],
      ["flat", flat],
      ["file", `file://${tgz}`],
    ] as const) {
      const cache = join(work, `cache-${name}`);
      const lc = await load(name, { CNBKIT_LIFECYCLE_MIRROR: mirror, CNBKIT_CACHE: cache });
      expect(lc.version, name).toBe(VERSION);
    }
  });

  test("a wrong sha256 fails in one line naming the setting and the mirror", async () => {
    const err = await load(
      "bad",
      { CNBKIT_LIFECYCLE_MIRROR: base, CNBKIT_CACHE: join(work, "cache-bad") },
      { [VERSION]: { [arch]: "0".repeat(64) } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CnbError);
    const message = (err as CnbError).message;
    expect(message).toMatch(
      new RegExp(
        `^builder\\.toml: \\[lifecycle\\]\\.version "${VERSION}": sha256 mismatch for http://127\\.0\\.0\\.1:\\d+/`,
      ),
    );
    expect(message).not.toContain("\n");
    expect((err as CnbError).hint).toBe("check CNBKIT_LIFECYCLE_MIRROR: it must serve the official release tarball");
  });

  test("with no sum carried, the .sha256 published beside the tarball is checked, printed to pin, and remembered", async () => {
    releases.sha = { [`${asset}.sha256`]: `${sha}  ${asset}\n` };
    const mirror = base.replace("/releases/", "/sha/releases/");
    const cache = join(work, "cache-published");
    const said: string[] = [];
    const lc = await loadLifecycle({ version: VERSION }, arch, {
      baseDir: work,
      workDir: join(work, "w", "published"),
      file: "builder.toml",
      releases: {},
      env: { CNBKIT_CACHE: cache, CNBKIT_LIFECYCLE_MIRROR: mirror },
      say: (l) => said.push(l),
    });
    expect(lc.version).toBe(VERSION);
    expect(said.join("\n")).toContain(`sha256 ${sha} (published beside the tarball); pin it in builder.toml`);
    await expect(readFile(join(cache, "lifecycle", "releases", sha))).resolves.toBeDefined();
    // Next time: from the cache, with neither the sums file nor the tarball asked for.
    const before = requests.length;
    await load("published-again", { CNBKIT_LIFECYCLE_MIRROR: mirror, CNBKIT_CACHE: cache }, {});
    expect(requests).toHaveLength(before);
  });

  test("a release's checksums file serves when there is no .sha256", async () => {
    releases.sums = {
      [`lifecycle-v${VERSION}-checksums.txt`]: `${"1".repeat(64)}  lifecycle-v${VERSION}+linux.other.tgz\n${sha}  ${asset}\n`,
    };
    const lc = await load(
      "sums",
      {
        CNBKIT_LIFECYCLE_MIRROR: base.replace("/releases/", "/sums/releases/"),
        CNBKIT_CACHE: join(work, "cache-sums"),
      },
      {},
    );
    expect(lc.version).toBe(VERSION);
  });

  test("no published checksum, or one the tarball does not match: one line, nothing cached", async () => {
    const cache = join(work, "cache-unsafe");
    const none = await load("none", { CNBKIT_LIFECYCLE_MIRROR: base, CNBKIT_CACHE: cache }, {}).catch(
      (e: unknown) => e,
    );
    expect((none as Error).message).toBe(
      `builder.toml: [lifecycle].version "${VERSION}": the lifecycle ${VERSION} release publishes no checksum for ${asset} at ${base}/v${VERSION}/${asset}.sha256`,
    );
    expect((none as CnbError).hint).toContain("give [lifecycle] uri and sha256 in builder.toml");
    releases.wrong = { [`${asset}.sha256`]: `${"0".repeat(64)}\n` };
    const wrong = await load(
      "wrong",
      { CNBKIT_LIFECYCLE_MIRROR: base.replace("/releases/", "/wrong/releases/"), CNBKIT_CACHE: cache },
      {},
    ).catch((e: unknown) => e);
    expect((wrong as Error).message).toMatch(/^builder\.toml: \[lifecycle\]\.version "[\d.]+": sha256 mismatch for /);
    expect((wrong as Error).message).not.toContain("\n");
    await expect(readdir(join(cache, "lifecycle", "releases")).catch(() => [])).resolves.toEqual([]);
  });

  test("the Go-built lifecycle in the cache is the first choice: nothing is fetched", async () => {
    const before = requests.length;
    const cache = join(work, "cache-go");
    await mkdir(join(cache, "lifecycle"), { recursive: true });
    await symlink(cachedLifecycleDir(VERSION, arch), cachedLifecycleDir(VERSION, arch, { CNBKIT_CACHE: cache }));
    const lc = await load("go", { CNBKIT_LIFECYCLE_MIRROR: base, CNBKIT_CACHE: cache }, {});
    expect(lc.version).toBe(VERSION);
    expect(requests).toHaveLength(before);
  });
});
