/**
 * The detect pack of a buildpack on the shared runtime: the chunks a detect loads, as one
 * script `lib/chunks/detect-pack.js` (an object of chunk functions) with one V8 code cache
 * `detect-pack.js.v8` beside it. The loader runs the pack on the first `require` and takes
 * packed chunks from it; any other chunk (build-only code) stays a file of its own.
 *
 * Why one script: each chunk as a file of its own cost a detect two reads and one
 * `compileFunction` with its own cache, ~0.3 ms a chunk for eleven chunks; one script is one
 * read pair and one deserialization. Why a code cache: a detect then deserializes its code
 * instead of compiling it function by function.
 *
 * A code cache as V8 makes it is not reproducible: it holds string hashes made with the
 * process's random hash seed. Made with `--hash-seed=1` it is, byte for byte, but V8 then
 * stamps it with that flag's hash and a process without the flag rejects it. So the cache
 * is made with the fixed seed, and the header fields a consumer checks are taken from a
 * cache the *target* Node makes with default flags:
 *   bytes 4-8   V8 version hash,
 *   bytes 12-16 flag hash,
 *   bytes 16-20 read-only snapshot checksum (differs between the amd64 and arm64 builds).
 * The payload is the same on both arches. V8 rehashes strings when it deserializes, as it
 * does for any cache made by another process. The header layout is V8's: if a Node upgrade
 * moves it, V8 rejects the cache and the loader compiles as before (code-cache.test.ts
 * fails first).
 *
 * Getting the target's header runs its Node once per version and arch (through qemu for
 * the other arch); without a usable qemu that arch gets a pack with no cache, which is
 * slower, not wrong.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { cachedQemu } from "../base/index.js";
import { CHUNK_PARAMS, DETECT_PACK } from "./bundle.js";
import { memoByContent } from "../cache/index.js";
import { hostNodeArch, type NodeArch, run } from "./node-runtime.js";

/** The suffix of a code cache file. */
export const CODE_CACHE_SUFFIX = ".v8";

/** The fixed hash seed the caches are made with. */
const HASH_SEED = 1;

/** Header bytes taken from the target's own cache: [start, end) pairs (see the module doc). */
const TARGET_FIELDS: readonly [number, number][] = [
  [4, 8],
  [12, 20],
];

/** Options of {@link writeDetectPack}. */
export interface DetectPackOptions {
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

/** What {@link writeDetectPack} wrote. */
export interface DetectPack {
  /** The chunks now in the pack (their own files are gone), sorted. */
  members: string[];
  /** False when the target's Node cannot be run here (another arch and no qemu): no cache. */
  cached: boolean;
}

/**
 * Moves the chunks a detect loads into `detect-pack.js` and writes its code cache; undefined
 * (nothing written) for a bundle that is not the framework's, which is never started here.
 *
 * @example
 * const pack = await writeDetectPack({ chunksDir, hostNode, nodeVersion: "26.10.0", framework: true, targetNode, arch: "arm64" });
 */
export async function writeDetectPack(options: DetectPackOptions): Promise<DetectPack | undefined> {
  if (!options.framework) return undefined;
  const dir = options.chunksDir;
  const names = (await readdir(dir)).filter((n) => !n.endsWith(CODE_CACHE_SUFFIX) && n !== DETECT_PACK).sort();
  const texts = new Map<string, string>();
  for (const name of names) texts.set(name, await readFile(join(dir, name), "utf8"));
  const hash = createHash("sha256").update(`pack\0${options.nodeVersion}\0${JSON.stringify(CHUNK_PARAMS)}\0`);
  for (const [name, text] of texts) hash.update(`${name}\0${text}\0`);
  const pack = (members: readonly string[]) => packScript(members.map((m) => [m, texts.get(m) ?? ""]));
  const payload = await memoByContent<{ members: string[]; cache: string }>({
    kind: "code-caches",
    key: hash.digest("hex"),
    cacheDir: options.cacheDir,
    check: (json) => {
      const p = json as { members?: unknown; cache?: unknown };
      const ok = Array.isArray(p?.members) && p.members.every((m) => texts.has(m)) && typeof p.cache === "string";
      return ok ? (json as { members: string[]; cache: string }) : undefined;
    },
    make: async () => {
      const members = (await loadedChunks(options.hostNode, dir)).filter((m) => texts.has(m)).sort();
      await writeFile(join(dir, DETECT_PACK), pack(members));
      return { members, cache: await packCache(options.hostNode, join(dir, DETECT_PACK)) };
    },
  });
  await writeFile(join(dir, DETECT_PACK), pack(payload.members));
  for (const m of payload.members) await rm(join(dir, m));
  const header = await targetHeader(options);
  if (header)
    await writeFile(join(dir, DETECT_PACK + CODE_CACHE_SUFFIX), stamp(Buffer.from(payload.cache, "base64"), header));
  return { members: payload.members, cached: header !== undefined };
}

/**
 * The pack's text: `({"./<name>":function(<CHUNK_PARAMS>){<chunk>\n},...})`, each chunk the
 * function body `compileFunction` would have made of it.
 */
export function packScript(chunks: readonly (readonly [string, string])[]): string {
  const fns = chunks.map(
    ([name, text]) => `${JSON.stringify(`./${name}`)}:function(${CHUNK_PARAMS.join(",")}){${text}\n}`,
  );
  return `({${fns.join(",\n")}})\n`;
}

/**
 * The chunks a detect loads, learnt by loading the bundle as a detect does
 * (`CNBKIT_DESCRIBE=detect-load`: the framework imports its detect modules and exits,
 * running nothing).
 */
async function loadedChunks(node: string, dir: string): Promise<string[]> {
  const script = [
    'const {readFileSync,writeSync}=require("node:fs"),{compileFunction}=require("node:vm"),{join}=require("node:path");',
    "const dir=process.argv[1],cache=Object.create(null);",
    'process.on("exit",()=>writeSync(1,JSON.stringify(Object.keys(cache).map((id)=>id.slice(2)))));',
    "function load(id){",
    'if(!id.startsWith("./"))return require(id);',
    "let m=cache[id];if(m)return m.exports;m=cache[id]={exports:{}};",
    `const f=compileFunction(readFileSync(join(dir,id.slice(2)),"utf8"),${JSON.stringify(CHUNK_PARAMS)});`,
    'f(m.exports,load,m,join(dir,"main.cjs"),dir,"file://"+dir+"/main.cjs");',
    "return m.exports;}",
    'load("./main.js");',
  ].join("\n");
  const r = await run(node, ["-e", script, dir], undefined, { CNBKIT_DESCRIBE: "detect-load" });
  if (r.code !== 0) throw new CnbError(`detect pack: ${node} exited ${r.code}: ${r.stderr.trim().split("\n").at(-1)}`);
  return JSON.parse(r.stdout) as string[];
}

/**
 * The pack's code cache (base64), made by a Node with the fixed seed and `--no-lazy`, so
 * every function of the pack is in it (a default cache holds only top-level code, and a
 * detect would still compile each function it calls).
 */
async function packCache(node: string, file: string): Promise<string> {
  const script = [
    'const {readFileSync}=require("node:fs"),{Script}=require("node:vm");',
    // No filename: V8 keeps it in the cache, and the pack's path differs between machines.
    'const s=new Script(readFileSync(process.argv[1],"utf8"));',
    'process.stdout.write(s.createCachedData().toString("base64"));',
  ].join("\n");
  const r = await run(node, [`--hash-seed=${HASH_SEED}`, "--no-lazy", "-e", script, file], undefined, {});
  if (r.code !== 0)
    throw new CnbError(`V8 code cache: ${node} exited ${r.code}: ${r.stderr.trim().split("\n").at(-1)}`);
  return r.stdout;
}

/** The first 24 bytes of a cache the target's Node makes with default flags (hex), remembered per version and arch. */
async function targetHeader(options: DetectPackOptions): Promise<Buffer | undefined> {
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
