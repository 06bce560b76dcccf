/**
 * V8 code caches for the chunks of a buildpack on the shared runtime: `lib/chunks/<name>.v8`
 * beside each chunk a detect loads, which the loader hands to `vm.compileFunction`, so a
 * detect deserializes its code instead of compiling it function by function.
 *
 * A code cache as V8 makes it is not reproducible: it holds string hashes made with the
 * process's random hash seed. Made with `--hash-seed=1` it is, byte for byte, but V8 then
 * stamps it with that flag's hash and a process without the flag rejects it. So the caches
 * are made with the fixed seed, and the header fields a consumer checks are taken from a
 * cache the *target* Node makes with default flags:
 *   bytes 4-8   V8 version hash,
 *   bytes 12-16 flag hash,
 *   bytes 16-20 read-only snapshot checksum (differs between the amd64 and arm64 builds).
 * The payload is the same on both arches. V8 rehashes strings when it deserializes, as it
 * does for any cache made by another process. The header layout is V8's: if a Node upgrade
 * moves it, V8 rejects the caches and the loader compiles as before (code-cache.test.ts
 * fails first).
 *
 * Getting the target's header runs its Node once per version and arch (through qemu for
 * the other arch); without a usable qemu that arch gets no caches, which is slower, not wrong.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { cachedQemu } from "../base/index.js";
import { CHUNK_PARAMS } from "./bundle.js";
import { memoByContent, stringRecord } from "../cache/index.js";
import { hostNodeArch, type NodeArch, run } from "./node-runtime.js";

/** The suffix of a chunk's code cache file. */
export const CODE_CACHE_SUFFIX = ".v8";

/** The fixed hash seed the caches are made with. */
const HASH_SEED = 1;

/** Header bytes taken from the target's own cache: [start, end) pairs (see the module doc). */
const TARGET_FIELDS: readonly [number, number][] = [
  [4, 8],
  [12, 20],
];

/** Options of {@link chunkCodeCaches}. */
export interface ChunkCodeCacheOptions {
  /** The shared form's chunks dir (every file in it but `*.v8` is a chunk). */
  chunksDir: string;
  /** A Node of the pinned version that runs here, and that version. */
  hostNode: string;
  nodeVersion: string;
  /** True for a framework bundle, which answers `CNBKIT_DESCRIBE` (anything else would just run). */
  framework: boolean;
  /** The target's Node binary and arch. */
  targetNode: string;
  arch: NodeArch;
  /** Cache root (default `cnbkitCacheDir()`). */
  cacheDir?: string;
}

/**
 * The code cache of each chunk a detect loads, by file name, or undefined when the
 * target's Node cannot be run here (another arch and no qemu).
 *
 * @example
 * const caches = await chunkCodeCaches({ chunksDir, hostNode, nodeVersion: "26.10.0", targetNode, arch: "arm64" });
 */
export async function chunkCodeCaches(options: ChunkCodeCacheOptions): Promise<Record<string, Buffer> | undefined> {
  const header = await targetHeader(options);
  if (!header) return undefined;
  const names = (await readdir(options.chunksDir)).filter((n) => !n.endsWith(CODE_CACHE_SUFFIX)).sort();
  const hash = createHash("sha256").update(
    `${options.nodeVersion}\0${JSON.stringify(CHUNK_PARAMS)}\0${options.framework}\0`,
  );
  for (const name of names) hash.update(`${name}\0`).update(await readFile(join(options.chunksDir, name)));
  const payloads = await memoByContent<Record<string, string>>({
    kind: "code-caches",
    key: hash.digest("hex"),
    cacheDir: options.cacheDir,
    check: stringRecord,
    make: () => makePayloads(options.hostNode, options.chunksDir, options.framework),
  });
  const out: Record<string, Buffer> = {};
  for (const [name, data] of Object.entries(payloads)) out[name] = stamp(Buffer.from(data, "base64"), header);
  return out;
}

/**
 * The caches, base64 by chunk name, made by a Node with the fixed seed and `--no-lazy` that
 * loads the bundle as a detect does (`CNBKIT_DESCRIBE=detect-load`: the framework imports
 * its detect modules and exits, running nothing). So the chunks a detect loads get every
 * function compiled into their cache (a default cache holds only top-level code, and a
 * detect then still compiles each function it calls), and the chunks only build loads get
 * none: build compiles them as before, a few ms of a build that takes seconds. A bundle
 * that is not a framework bundle is not loaded at all (it would run): no caches.
 */
async function makePayloads(node: string, dir: string, framework: boolean): Promise<Record<string, string>> {
  if (!framework) return {};
  const script = [
    'const {readFileSync,writeSync}=require("node:fs"),{compileFunction}=require("node:vm"),{join}=require("node:path");',
    "const dir=process.argv[1],made={},cache=Object.create(null);",
    'process.on("exit",()=>writeSync(1,JSON.stringify(made)));',
    "function load(id){",
    'if(!id.startsWith("./"))return require(id);',
    "let m=cache[id];if(m)return m.exports;m=cache[id]={exports:{}};",
    `const f=compileFunction(readFileSync(join(dir,id.slice(2)),"utf8"),${JSON.stringify(CHUNK_PARAMS)},{produceCachedData:true});`,
    'made[id.slice(2)]=f.cachedData.toString("base64");',
    'f(m.exports,load,m,join(dir,"main.cjs"),dir,"file://"+dir+"/main.cjs");',
    "return m.exports;}",
    'load("./main.js");',
  ].join("\n");
  const env = { CNBKIT_DESCRIBE: "detect-load" };
  const r = await run(node, [`--hash-seed=${HASH_SEED}`, "--no-lazy", "-e", script, dir], undefined, env);
  if (r.code !== 0)
    throw new CnbError(`V8 code cache: ${node} exited ${r.code}: ${r.stderr.trim().split("\n").at(-1)}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

/** The first 24 bytes of a cache the target's Node makes with default flags (hex), remembered per version and arch. */
async function targetHeader(options: ChunkCodeCacheOptions): Promise<Buffer | undefined> {
  let runner: { cmd: string; args: string[] } = { cmd: options.targetNode, args: [] };
  if (options.arch !== hostNodeArch()) {
    const qemu = await cachedQemu(options.arch);
    if (!qemu) return undefined;
    runner = { cmd: qemu.path, args: [options.targetNode] };
  }
  const hex = await memoByContent<string>({
    kind: "code-caches",
    key: `header-${options.nodeVersion}-${options.arch}`,
    cacheDir: options.cacheDir,
    check: (json) => (typeof json === "string" && /^[0-9a-f]{48}$/.test(json) ? json : undefined),
    make: async () => {
      const script = `process.stdout.write(require("node:vm").compileFunction("",[],{produceCachedData:true}).cachedData.subarray(0,24).toString("hex"))`;
      const r = await run(runner.cmd, [...runner.args, "-e", script], undefined, {});
      if (r.code !== 0 || !/^[0-9a-f]{48}$/.test(r.stdout))
        throw new CnbError(`V8 code cache: the linux/${options.arch} Node did not answer: ${r.stderr.trim()}`);
      return r.stdout;
    },
  });
  return Buffer.from(hex, "hex");
}

/** `payload` with the target's header fields; the magic number must already agree. */
function stamp(payload: Buffer, header: Buffer): Buffer {
  const out = Buffer.from(payload);
  if (out.length < 24 || !out.subarray(0, 4).equals(header.subarray(0, 4)))
    throw new CnbError("V8 code cache: the cache and the target's Node disagree on the format");
  for (const [start, end] of TARGET_FIELDS) header.copy(out, start, start, end);
  return out;
}
