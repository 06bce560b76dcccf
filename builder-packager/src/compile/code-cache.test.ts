import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cachedQemuPath } from "../base/index.js";
import { DETECT_PACK } from "./bundle.js";
import { type DetectPackOptions, packScript, writeDetectPack } from "./code-cache.js";
import { ensureNodeRuntime, type NodeArch, NODE_VERSION, type NodeRuntime } from "./node-runtime.js";

// Real V8 on both arches: the pack and its cache must be byte-identical however often they
// are made, and the target's own Node (arm64 under qemu) must accept the cache with its
// default flags.
let work: string;
let chunks: string;
const runtimes: Partial<Record<NodeArch, NodeRuntime>> = {};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-code-cache-"));
  chunks = join(work, "chunks");
  await mkdir(chunks);
  // Chunks as the bundler writes them: CommonJS function bodies with a nested function.
  await writeFile(join(chunks, "main.js"), 'const a=require("./chunk-A.js");module.exports={v:a.twice(21)};');
  await writeFile(join(chunks, "chunk-A.js"), "function twice(n){return n*2}exports.twice=twice;");
  // Loaded by nobody as the bundle starts (build-only code): stays a file of its own.
  await writeFile(join(chunks, "chunk-B.js"), "exports.never=1;");
  runtimes.amd64 = await ensureNodeRuntime("amd64");
  runtimes.arm64 = await ensureNodeRuntime("arm64");
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh copy of the chunks (the pack moves chunks) and the pack made in it for `arch`. */
async function pack(name: string, arch: NodeArch, options: Partial<DetectPackOptions> = {}) {
  const dir = join(work, name);
  await cp(chunks, dir, { recursive: true });
  const host = runtimes.amd64 as NodeRuntime;
  const made = await writeDetectPack({
    chunksDir: dir,
    hostNode: host.node,
    nodeVersion: NODE_VERSION,
    framework: true,
    targetNode: (runtimes[arch] as NodeRuntime).stripped,
    arch,
    cacheDir: join(work, `memo-${name}`),
    ...options,
  });
  return { dir, made };
}

/** Whether the target's `node` (run through `prefix`) accepts `cache` for the pack in `dir`. */
function accepted(prefix: string[], node: string, dir: string, cache: Buffer): string {
  const file = join(dir, "probe.v8");
  spawnSync("sh", ["-c", `cat > '${file}'`], { input: cache });
  const script = [
    'const {readFileSync}=require("node:fs"),{Script}=require("node:vm");',
    'const s=new Script(readFileSync(process.argv[1],"utf8"),{filename:process.argv[1],cachedData:readFileSync(process.argv[2])});',
    'const m={exports:{}};s.runInThisContext()["./main.js"](m.exports,()=>({twice:(n)=>n*2}),m);',
    'process.stdout.write(s.cachedDataRejected?"rejected":"accepted "+m.exports.v)',
  ].join("\n");
  const args = [...prefix.slice(1), ...(prefix.length ? [node] : []), "-e", script, join(dir, DETECT_PACK), file];
  const r = spawnSync(prefix[0] ?? node, args, { encoding: "utf8", env: {} });
  return r.stdout || r.stderr;
}

describe("writeDetectPack", () => {
  test("a bundle that is not the framework's is not started: no pack, every chunk stays", async () => {
    const { dir, made } = await pack("plain", "amd64", { framework: false });
    expect(made).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual(["chunk-A.js", "chunk-B.js", "main.js"]);
  });

  test("the chunks the bundle loads move into the pack, the same bytes when made twice from empty caches", async () => {
    const [a, b] = [await pack("one", "amd64"), await pack("two", "amd64")];
    expect(a.made).toEqual({ members: ["chunk-A.js", "main.js"], cached: true });
    expect((await readdir(a.dir)).sort()).toEqual(["chunk-B.js", DETECT_PACK, `${DETECT_PACK}.v8`]);
    const text = await readFile(join(a.dir, DETECT_PACK), "utf8");
    expect(text).toBe(
      packScript([
        ["chunk-A.js", "function twice(n){return n*2}exports.twice=twice;"],
        ["main.js", 'const a=require("./chunk-A.js");module.exports={v:a.twice(21)};'],
      ]),
    );
    for (const f of [DETECT_PACK, `${DETECT_PACK}.v8`])
      expect((await readFile(join(a.dir, f))).equals(await readFile(join(b.dir, f)))).toBe(true);
  });

  test.each(["amd64", "arm64"] as const)("%s: its Node accepts the cache with its default flags", async (arch) => {
    const { dir } = await pack(`accept-${arch}`, arch);
    const target = runtimes[arch] as NodeRuntime;
    const prefix = arch === "amd64" ? [] : [cachedQemuPath("arm64")];
    const cache = await readFile(join(dir, `${DETECT_PACK}.v8`));
    expect(accepted(prefix, target.stripped, dir, cache)).toBe("accepted 42");
    // The probe can say no: the same cache with another flag hash (bytes 12-16) is rejected.
    const other = Buffer.from(cache);
    other[12] = (other[12] as number) ^ 1;
    expect(accepted(prefix, target.stripped, dir, other)).toBe("rejected");
  });
});
