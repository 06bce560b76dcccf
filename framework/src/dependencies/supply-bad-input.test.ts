/**
 * Bad input across the supply modules (inventory, download, mirrors, archive, bindings, sbom):
 * each case must fail with exactly one line naming what and where, and leave no partial file
 * or directory behind. One case (500 then 200) must recover.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, stat, truncate, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import { afterAll, beforeAll, expect, test } from "vitest";
import { extract } from "./archive.js";
import { memoryBinding, readBindings } from "../environment/index.js";
import { type DownloadOptions, download } from "./download.js";
import { CnbError } from "../errors/index.js";
import { parseInventory, resolveDependency } from "./inventory.js";
import { writeSbomFiles } from "../sbom/index.js";

const good = Buffer.from("payload");
const sha = createHash("sha256").update(good).digest("hex");
const wrongSha = createHash("sha256").update("evil").digest("hex");
const entry = { id: "node", version: "24.11.1", uri: "https://nodejs.org/n.tgz", sha256: sha };

let server: Server;
let base: string;
let flakyHits = 0;
let deadPort = 0;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-bad-"));
  server = createServer((req, res) => {
    if (req.url === "/evil.tgz") return void res.end("evil");
    if (req.url === "/flaky.tgz") {
      flakyHits++;
      if (flakyHits === 1) {
        res.statusCode = 500;
        return void res.end();
      }
      return void res.end(good);
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  deadPort = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(root, { recursive: true, force: true });
});

const dlOpts = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
  env: {},
  retries: 1,
  minBackoffMs: 1,
  sleep: async () => {},
  ...extra,
});

async function tgzOf(file: string, entries: { name: string; type?: "symlink"; linkname?: string; body?: string }[]) {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((r) => pack.on("end", () => r()));
  for (const e of entries) {
    if (e.type === "symlink") pack.entry({ name: e.name, type: "symlink", linkname: e.linkname ?? "" });
    else pack.entry({ name: e.name, mode: 0o644 }, e.body ?? "x");
  }
  pack.finalize();
  await ended;
  await writeFile(file, gzipSync(Buffer.concat(chunks)));
  return file;
}

const inv =
  (override: Record<string, unknown>, index = 0) =>
  () =>
    parseInventory({ dependencies: [...Array(index).fill(entry), { ...entry, ...override }] }, "bp/buildpack.toml");

/** Each case gets a fresh work dir; `out` is where output would go and must stay empty or absent. */
interface Case {
  name: string;
  run: (work: string, out: string) => Promise<unknown> | unknown;
  /** The exact message (BASE stands for the test server's URL) or a pattern; none = must succeed. */
  message?: string | RegExp;
}

const cases: Case[] = [
  {
    name: "inventory: sha256 not hex",
    run: inv({ sha256: "abc" }, 2),
    message: 'bp/buildpack.toml: [[metadata.dependencies]][2].sha256 "abc" is not a 64-character hex sha256',
  },
  {
    name: "inventory: missing uri",
    run: inv({ uri: undefined }),
    message: "bp/buildpack.toml: [[metadata.dependencies]][0].uri is missing",
  },
  {
    name: "inventory: negative strip-components",
    run: inv({ "strip-components": -2 }),
    message: "bp/buildpack.toml: [[metadata.dependencies]][0].strip-components must be a non-negative integer, got -2",
  },
  {
    name: "inventory: license table without type",
    run: inv({ licenses: [{ uri: "https://x" }] }),
    message:
      'bp/buildpack.toml: [[metadata.dependencies]][0].licenses[0] must be a license id or a { type, uri } table with a type, got {"uri":"https://x"}',
  },
  {
    name: "inventory: version is a number",
    run: inv({ version: 24 }),
    message: "bp/buildpack.toml: [[metadata.dependencies]][0].version must be a non-empty string, got 24",
  },
  {
    name: "resolve: no version matches for the platform",
    run: () =>
      resolveDependency(parseInventory({ dependencies: [{ ...entry, arch: "amd64" }] }), {
        id: "node",
        version: "22.x",
        os: "linux",
        arch: "arm64",
      }),
    message: 'no node version matches "22.x" for linux/arm64 in the inventory (newest: 24.11.1)',
  },
  {
    name: "download: checksum mismatch",
    run: (_w, out) => download({ ...entry, uri: `${base}/evil.tgz` }, out, dlOpts()),
    message: `node 24.11.1: sha256 mismatch for BASE/evil.tgz: expected ${sha}, got ${wrongSha}`,
  },
  {
    name: "download: 404",
    run: (_w, out) => download({ ...entry, uri: `${base}/gone.tgz` }, out, dlOpts()),
    message: `node 24.11.1: BASE/gone.tgz returned 404 Not Found`,
  },
  {
    name: "download: unreachable host",
    run: (_w, out) => download({ ...entry, uri: `http://127.0.0.1:${deadPort}/n.tgz` }, out, dlOpts()),
    message:
      /^node 24\.11\.1: cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\) while downloading http:\/\/127\.0\.0\.1:\d+\/n\.tgz \(2 attempts\)$/,
  },
  {
    name: "download: 500 then success recovers",
    run: async (_w, out) => {
      const file = await download({ ...entry, uri: `${base}/flaky.tgz` }, out, dlOpts());
      expect((await stat(file)).size).toBe(good.length);
      expect(await readdir(out)).toEqual(["flaky.tgz"]);
    },
  },
  {
    name: "download: missing file:// source",
    run: (w, out) => download({ ...entry, uri: pathToFileURL(join(w, "nope.tgz")).href }, out, dlOpts()),
    message: /^node 24\.11\.1: \/.*\/nope\.tgz does not exist \(from file:\/\/.*\/nope\.tgz\)$/,
  },
  {
    name: "download: plain-http mirror to a remote host",
    run: (_w, out) => download(entry, out, dlOpts({ env: { BP_DEPENDENCY_MIRROR: "http://mirror.example.com" } })),
    message: 'BP_DEPENDENCY_MIRROR: mirror "http://mirror.example.com" must use https:// or file://',
  },
  {
    name: "download: two mappings disagree",
    run: (_w, out) =>
      download(
        entry,
        out,
        dlOpts({
          bindings: [
            memoryBinding("a", "dependency-mapping", { [sha]: "https://a/x" }),
            memoryBinding("b", "dependency-mapping", { [sha]: "https://b/x" }),
          ],
        }),
      ),
    message: `bindings "a" and "b" map sha256 ${sha} to different URIs`,
  },
  {
    name: "archive: truncated tar.gz",
    run: async (w, out) => {
      const file = await tgzOf(join(w, "t.tgz"), [{ name: "a", body: "y".repeat(100_000) }]);
      await truncate(file, 100);
      return extract(file, out);
    },
    message: /^\/.*\/t\.tgz: cannot extract tar\.gz archive: .+$/,
  },
  {
    name: "archive: ../ escape",
    run: async (w, out) => extract(await tgzOf(join(w, "e.tgz"), [{ name: "ok" }, { name: "../../etc/x" }]), out),
    message: /^\/.*\/e\.tgz: entry "\.\.\/\.\.\/etc\/x" has a "\.\." path component$/,
  },
  {
    name: "archive: symlink escape",
    run: async (w, out) =>
      extract(await tgzOf(join(w, "s.tgz"), [{ name: "ok" }, { name: "l", type: "symlink", linkname: "../.." }]), out),
    message: /^\/.*\/s\.tgz: entry "l" is a symlink to "\.\.\/\.\.", outside the destination$/,
  },
  {
    name: "archive: write through a symlink",
    run: async (w, out) =>
      extract(
        await tgzOf(join(w, "w.tgz"), [
          { name: "d/f" },
          { name: "l", type: "symlink", linkname: "d" },
          { name: "l/g" },
        ]),
        out,
      ),
    message: /^\/.*\/w\.tgz: entry "l\/g" would be written through the symlink "l"$/,
  },
  {
    name: "bindings: no type file",
    run: async (w) => {
      await mkdir(join(w, "bindings", "mirror"), { recursive: true });
      await writeFile(join(w, "bindings", "mirror", "default"), "https://m");
      return readBindings(join(w, "bindings"));
    },
    message: /^\/.*\/bindings\/mirror: binding "mirror" has no "type" file$/,
  },
  {
    name: "sbom: unsupported format",
    run: (_w, out) => writeSbomFiles(join(out, "node.sbom"), ["text/plain"], []),
    message:
      /: unsupported SBOM format "text\/plain" \(supported: application\/vnd\.cyclonedx\+json, application\/spdx\+json\)$/,
  },
];

test("there are at least 15 cases", () => {
  expect(cases.length).toBeGreaterThanOrEqual(15);
});

test.each(cases)("$name", async ({ run, message }) => {
  const work = await mkdtemp(join(root, "case-"));
  const out = join(work, "out");
  if (message === undefined) {
    await run(work, out);
  } else {
    const err = await (async () => {
      try {
        await run(work, out);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(CnbError);
    const msg = (err as CnbError).message;
    expect(msg).not.toContain("\n");
    if (typeof message === "string") expect(msg).toBe(message.replaceAll("BASE", base));
    else expect(msg).toMatch(message);
    // Nothing half-written: the output dir is absent or empty, and no temp/staging dirs remain.
    const outEntries = await readdir(out).catch(() => []);
    expect(outEntries).toEqual([]);
    expect((await readdir(work)).filter((n) => n.startsWith("."))).toEqual([]);
  }
});
