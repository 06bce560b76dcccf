/**
 * The layer guard's parts without a build: which binding bytes are secrets, a needle split
 * across chunks, a real tar (gzip and not) scanned for secrets, setuid, world-writable modes
 * and owners, a by-reference cache layer's upper dir scanned, the cache snapshot put back, and `--secret` parsed and laid out as a binding.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import tar from "tar-stream";
import { snapshotCache } from "./cache-snapshot.js";
import { findSecretInDir } from "./dir-scan.js";
import { scanLayerFile } from "./layer-scan.js";
import { needleSearch } from "./needle-search.js";
import { parseSecretFlag, secretBindingDirs } from "./secret-flag.js";
import { credentialValues, secretNeedles } from "./secret-needles.js";

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "cnbkit-layer-guard-"));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** One tar entry: a dir, or a file with its text. */
interface Entry {
  path: string;
  type: "dir" | "file";
  data?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

async function tarBytes(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const mode = e.mode ?? (e.type === "dir" ? 0o755 : 0o644);
    const header = {
      name: e.path,
      type: e.type === "dir" ? ("directory" as const) : ("file" as const),
      mode,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
    };
    pack.entry(header, e.data ?? "");
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe("secret needles", () => {
  test("whole small files and credential fields are needles; type, provider, short and public values are not", async () => {
    const root = await tmp();
    const npm = join(root, "npm");
    await mkdir(npm);
    await writeFile(join(npm, "type"), "npmrc");
    await writeFile(join(npm, "provider"), "sample-provider");
    await writeFile(join(npm, ".npmrc"), "//registry.example.com/:_authToken=npm_TOKEN_123456\nalways-auth=true\n");
    await writeFile(join(npm, "short"), "abc");
    const ca = join(root, "ca");
    await mkdir(ca);
    await writeFile(join(ca, "type"), "ca-certificates");
    await writeFile(join(ca, "ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB...\n");
    const needles = await secretNeedles([
      { name: "npm", dir: npm },
      { name: "ca", dir: ca },
    ]);
    const values = needles.map((n) => n.bytes.toString());
    expect(values).toContain("npm_TOKEN_123456");
    expect(values.some((v) => v.startsWith("//registry.example.com"))).toBe(true);
    expect(values).not.toContain("sample-provider");
    expect(values).not.toContain("npmrc");
    expect(values.every((v) => !v.includes("CERTIFICATE"))).toBe(true);
    expect(needles[0]!.source).toBe('binding "npm"');
  });

  test("netrc, XML, properties and URL passwords are found inside larger files", () => {
    expect(credentialValues("machine example.com login me password s3cretPass")).toContain("s3cretPass");
    expect(credentialValues("<server><password>xmlSecret99</password></server>")).toContain("xmlSecret99");
    expect(credentialValues("repoPassword = 'propsSecret1'")).toContain("propsSecret1");
    expect(credentialValues("npmAuthToken: yamlSecret11")).toContain("yamlSecret11");
    expect(credentialValues("index-url = https://user:urlSecret7@pypi.example.com/simple")).toContain("urlSecret7");
  });
});

describe("needle search", () => {
  test("finds any of several needles, also split across chunks", () => {
    const s = needleSearch([Buffer.from("AAAAAAAA"), Buffer.from("secret-value-1")]);
    expect(s.push(Buffer.from("xxxxsecret-va"))).toBe(-1);
    expect(s.push(Buffer.from("lue-1yyyy"))).toBe(1);
    expect(needleSearch([]).push(Buffer.from("anything"))).toBe(-1);
    // More needles than INDEXOF_MAX: one expression, byte-exact (regex characters and bytes over 0x7f).
    const many = [
      "a.b*c+d?e(f)g",
      ...Array.from({ length: 8 }, (_, i) => `needle-${i}-xyzzy`),
      "caf\u00e9-\u00ff-bytes",
    ];
    const m = needleSearch(many.map((n) => Buffer.from(n, "latin1")));
    expect(m.push(Buffer.from("axbxcxdxexfxg needle-7-xy"))).toBe(-1);
    expect(m.push(Buffer.from("zzy"))).toBe(8);
    const m2 = needleSearch(many.map((n) => Buffer.from(n, "latin1")));
    expect(m2.push(Buffer.from("..a.b*c+d?e(f)g.."))).toBe(0);
    expect(
      needleSearch(many.map((n) => Buffer.from(n, "latin1"))).push(Buffer.from("caf\u00e9-\u00ff-bytes", "latin1")),
    ).toBe(9);
  });
});

describe("layer scan", () => {
  const owner = { uid: 1000, gid: 1000 };
  const entries: Entry[] = [
    { type: "dir", path: "layers/acme_bp/tools", uid: 1000, gid: 1000 },
    { type: "file", path: "layers/acme_bp/tools/su-ish", data: "ELF!", mode: 0o4755, uid: 1000, gid: 1000 },
    { type: "dir", path: "layers/acme_bp/tools/open", mode: 0o777, uid: 1000, gid: 1000 },
    { type: "file", path: "layers/acme_bp/tools/rootfile", data: "x", uid: 0, gid: 0 },
    { type: "file", path: "layers/acme_bp/tools/config.ini", data: "token=copied-secret-value-42" },
  ];

  test("a gzip tar: the secret's path, setuid, world-writable and foreign owners", async () => {
    const file = join(await tmp(), "layer.tar.gz");
    await writeFile(file, gzipSync(await tarBytes(entries)));
    const scan = await scanLayerFile(
      file,
      [Buffer.from("nothing-here-0"), Buffer.from("copied-secret-value-42")],
      owner,
    );
    expect(scan.secret).toEqual({ needle: 1, path: "layers/acme_bp/tools/config.ini" });
    expect(scan.hygiene.filter((f) => f.kind === "setuid").map((f) => f.path)).toEqual(["layers/acme_bp/tools/su-ish"]);
    expect(scan.hygiene.filter((f) => f.kind === "world-writable").map((f) => f.path)).toEqual([
      "layers/acme_bp/tools/open",
    ]);
    expect(scan.hygiene.filter((f) => f.kind === "owner").map((f) => f.path)).toContain(
      "layers/acme_bp/tools/rootfile",
    );
  });

  test("a plain tar with none of the needles is clean", async () => {
    const file = join(await tmp(), "layer.tar");
    await writeFile(file, await tarBytes([entries[0]!]));
    const scan = await scanLayerFile(file, [Buffer.from("copied-secret-value-42")], owner);
    expect(scan.secret).toBeUndefined();
    expect(scan.hygiene).toEqual([]);
  });
});

describe("the cache layers kept by reference", () => {
  test("a secret a build wrote into its overlay's upper dir is found with its path; a clean dir is clean", async () => {
    const upper = await tmp();
    await mkdir(join(upper, "cnbkit_go/go-build/ab"), { recursive: true });
    await writeFile(join(upper, "cnbkit_go/go-build.toml"), "[types]\ncache = true\n");
    await writeFile(join(upper, "cnbkit_go/go-build/ab/out"), "prefix copied-secret-value-42 suffix");
    const needles = [{ bytes: Buffer.from("copied-secret-value-42"), source: 'binding "npm"', file: ".npmrc" }];
    expect(await findSecretInDir(upper, needles)).toEqual({ needle: 0, path: "cnbkit_go/go-build/ab/out" });
    await rm(join(upper, "cnbkit_go/go-build/ab/out"));
    expect(await findSecretInDir(upper, needles)).toBeUndefined();
  });
});

describe("cache snapshot", () => {
  test("restore puts committed/ back as it was; a first build's cache is removed", async () => {
    const root = await tmp();
    const cache = join(root, "cache");
    await mkdir(join(cache, "committed"), { recursive: true });
    await writeFile(join(cache, "committed", "sha256:old.tar"), "old");
    const snap = await snapshotCache(cache, join(root, "work"));
    expect([...snap.before]).toEqual(["sha256:old.tar"]);
    // What the exporter does: a new committed/ with a new layer.
    await rm(join(cache, "committed"), { recursive: true });
    await mkdir(join(cache, "committed"));
    await writeFile(join(cache, "committed", "sha256:new.tar"), "new");
    await snap.restore();
    await snap.restore();
    expect(await readdir(join(cache, "committed"))).toEqual(["sha256:old.tar"]);
    expect(await readFile(join(cache, "committed", "sha256:old.tar"), "utf8")).toBe("old");
    const empty = join(root, "empty-cache");
    await mkdir(empty);
    const first = await snapshotCache(empty, join(root, "work2"));
    await mkdir(join(empty, "committed"));
    await first.restore();
    expect(await readdir(empty)).toEqual([]);
  });
});

describe("--secret", () => {
  test("parses id, src and type (the id by default) and lays the file out under its type's name", async () => {
    const root = await tmp();
    await writeFile(join(root, "npmrc"), "//r.example.com/:_authToken=tok_abcdefgh\n");
    const flag = parseSecretFlag(`id=npmrc,src=${join(root, "npmrc")}`);
    expect(flag).toEqual({ id: "npmrc", src: join(root, "npmrc"), type: "npmrc" });
    const [binding] = await secretBindingDirs(join(root, "work"), [flag]);
    expect(await readFile(join(binding!.dir, "type"), "utf8")).toBe("npmrc");
    expect(await readFile(join(binding!.dir, ".npmrc"), "utf8")).toContain("tok_abcdefgh");
    expect(parseSecretFlag("id=pypi,src=x,type=pip").type).toBe("pip");
  });

  test("bad specs are one line each", async () => {
    expect(() => parseSecretFlag("src=x")).toThrow(/needs both id=<name> and src=<file>/);
    expect(() => parseSecretFlag("id=a,src=x,mode=1")).toThrow(/is not id=<name>,src=<file>/);
    expect(() => parseSecretFlag("id=a,src=x,type=docker")).toThrow(/type "docker" is not one of/);
    await expect(secretBindingDirs(await tmp(), [{ id: "a", src: "/nonexistent/f", type: "npmrc" }])).rejects.toThrow(
      /--secret a: \/nonexistent\/f is not a file/,
    );
    const npmrc = join(await tmp(), ".npmrc");
    await writeFile(npmrc, "//registry.example.com/:_authToken=tok_abcdefgh\n");
    const a = { id: "npm", src: npmrc, type: "npmrc" };
    await expect(secretBindingDirs(await tmp(), [a], ["npm"])).rejects.toThrow(
      /^--secret npm: a binding named npm is given already/,
    );
    await expect(secretBindingDirs(await tmp(), [a, a])).rejects.toThrow(/a binding named npm is given already/);
  });
});
