import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cachedQemuPath } from "../base/index.js";
import { CHUNK_PARAMS } from "./bundle.js";
import { chunkCodeCaches } from "./code-cache.js";
import { ensureNodeRuntime, type NodeArch, NODE_VERSION, type NodeRuntime } from "./node-runtime.js";

// Real V8 on both arches: the caches must be byte-identical however often they are made,
// and the target's own Node (arm64 under qemu) must accept them with its default flags.
let work: string;
let chunks: string;
const runtimes: Partial<Record<NodeArch, NodeRuntime>> = {};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-code-cache-"));
  chunks = join(work, "chunks");
  await mkdir(chunks);
  // Two chunks as the bundler writes them: CommonJS function bodies with a nested function.
  await writeFile(join(chunks, "main.js"), 'const a=require("./chunk-A.js");module.exports={v:a.twice(21)};');
  await writeFile(join(chunks, "chunk-A.js"), "function twice(n){return n*2}exports.twice=twice;");
  // Loaded by nobody as the bundle starts (build-only code): no cache.
  await writeFile(join(chunks, "chunk-B.js"), "exports.never=1;");
  runtimes.amd64 = await ensureNodeRuntime("amd64");
  runtimes.arm64 = await ensureNodeRuntime("arm64");
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Whether `node` (run through `prefix`) accepts `cache` for the chunk `name`, compiled as the loader does. */
function accepted(prefix: string[], node: string, name: string, cache: Buffer): string {
  const file = join(work, `${name}.probe`);
  const script = [
    'const {readFileSync}=require("node:fs"),{compileFunction}=require("node:vm");',
    `const f=compileFunction(readFileSync(process.argv[1],"utf8"),${JSON.stringify(CHUNK_PARAMS)},{cachedData:readFileSync(process.argv[2])});`,
    'process.stdout.write(f.cachedDataRejected?"rejected":"accepted")',
  ].join("\n");
  spawnSync("sh", ["-c", `cat > '${file}'`], { input: cache });
  const r = spawnSync(
    prefix[0] ?? node,
    [...prefix.slice(1), ...(prefix.length ? [node] : []), "-e", script, join(chunks, name), file],
    {
      encoding: "utf8",
      env: {},
    },
  );
  return r.stdout || r.stderr;
}

describe("chunkCodeCaches", () => {
  test("a bundle that is not the framework's is not started: no caches", async () => {
    const host = runtimes.amd64 as NodeRuntime;
    const caches = await chunkCodeCaches({
      chunksDir: chunks,
      hostNode: host.node,
      nodeVersion: NODE_VERSION,
      framework: false,
      targetNode: host.node,
      arch: "amd64",
      cacheDir: join(work, "memo-plain"),
    });
    expect(caches).toEqual({});
  });

  test("the chunks the bundle loads get caches, the same bytes when made twice from empty caches", async () => {
    const host = runtimes.amd64 as NodeRuntime;
    const make = async (n: number) =>
      chunkCodeCaches({
        chunksDir: chunks,
        hostNode: host.node,
        nodeVersion: NODE_VERSION,
        framework: true,
        targetNode: host.node,
        arch: "amd64",
        cacheDir: join(work, `memo-${n}`),
      });
    const [a, b] = [await make(1), await make(2)];
    expect(Object.keys(a ?? {}).sort()).toEqual(["chunk-A.js", "main.js"]);
    for (const name of ["main.js", "chunk-A.js"]) expect(a?.[name]?.equals(b?.[name] as Buffer)).toBe(true);
  });

  test.each(["amd64", "arm64"] as const)("%s: its Node accepts the caches with its default flags", async (arch) => {
    const host = runtimes.amd64 as NodeRuntime;
    const target = runtimes[arch] as NodeRuntime;
    const caches = await chunkCodeCaches({
      chunksDir: chunks,
      hostNode: host.node,
      nodeVersion: NODE_VERSION,
      framework: true,
      targetNode: target.stripped,
      arch,
      cacheDir: join(work, "memo"),
    });
    const prefix = arch === "amd64" ? [] : [cachedQemuPath("arm64")];
    for (const name of ["main.js", "chunk-A.js"])
      expect(accepted(prefix, target.stripped, name, caches?.[name] as Buffer)).toBe("accepted");
    // The probe can say no: the same cache with another flag hash (bytes 12-16) is rejected.
    const other = Buffer.from(caches?.["main.js"] as Buffer);
    other[12] = (other[12] as number) ^ 1;
    expect(accepted(prefix, target.stripped, "main.js", other)).toBe("rejected");
  });
});
