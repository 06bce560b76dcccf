/**
 * What `cnbkit build` prints around the real lifecycle 0.21.17 under runc: output that is not
 * a terminal carries no colour codes, the lifecycle's `ERROR:` lines included (it colours even
 * into a pipe unless told -no-color), and a build ends with each phase's time and the total.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ensureBaseImages } from "../../base/index.js";
import { main } from "../../cli/index.js";
import { testBuilderRootfs } from "../test-fixtures.js";

let work = "";
let builder = "";
let savedCache: string | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-build-output-"));
  const { build, run } = await ensureBaseImages({ onProgress: () => {} });
  if (!build.rootfs) throw new Error("build rootfs not cached");
  builder = await testBuilderRootfs(build.rootfs, run.ref);
  savedCache = process.env.CNBKIT_CACHE;
  process.env.CNBKIT_CACHE = join(work, "cnbkit-cache");
}, 1_800_000);
afterAll(async () => {
  if (savedCache === undefined) delete process.env.CNBKIT_CACHE;
  else process.env.CNBKIT_CACHE = savedCache;
  if (work) await rm(work, { recursive: true, force: true });
  if (builder) await rm(join(builder, ".."), { recursive: true, force: true });
});

async function build(files: Record<string, string>): Promise<{ code: number; out: string[]; err: string[] }> {
  const app = await mkdtemp(join(work, "app-"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(app, name), text);
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["build", app, "--builder", builder, "--output", `oci:${join(work, "out")}`], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}

test("a failed detect's ERROR: lines carry no colour codes when the output is not a terminal", async () => {
  const r = await build({ "README.md": "no index.html here\n" });
  expect(r.code).toBe(1);
  const all = [...r.out, ...r.err];
  expect(all.filter((l) => l.includes("ERROR:"))).not.toEqual([]);
  expect(all.filter((l) => l.includes("\u001b"))).toEqual([]);
}, 600_000);

test("a build ends with each lifecycle phase's time and the total, then the image", async () => {
  await mkdir(join(work, "out"), { recursive: true });
  const r = await build({ "index.html": "<h1>timed</h1>\n" });
  expect(r.code, r.err.join("\n")).toBe(0);
  const block = r.out.slice(r.out.indexOf("Timing"));
  expect(block[0]).toBe("Timing");
  expect(block.slice(1, -1).map((l) => l.trim().split(/ +/)[0])).toEqual([
    "analyze",
    "detect",
    "restore",
    "build",
    "export",
    "total",
  ]);
  for (const line of block.slice(1, -1)) expect(line).toMatch(/^ {2}[a-z]+ +(\d+ms|\d+\.\ds|\d+m \d+s)$/);
  expect(block.at(-1)).toMatch(/^Successfully built oci:.* \(sha256:[0-9a-f]{64}\)$/);
  console.log(block.join("\n"));
}, 600_000);
