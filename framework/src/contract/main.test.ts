import { spawn } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bundleEntry } from "./test-bundle-entry.js";
import { phaseOf } from "./main.js";

const index = fileURLToPath(new URL("../index.ts", import.meta.url));
let root: string;
let bpDir: string;

/** The buildpack the subprocess tests run, bundled the way `cnbkit package` bundles (one CJS file). */
const source = `
import { buildpack, CnbError } from ${JSON.stringify(index)};
export default buildpack({
  async detect(ctx) {
    if (ctx.env.FAIL_DETECT) return ctx.fail("told to fail");
    return ctx.pass({ provides: [{ name: "x" }], requires: [{ name: "x", metadata: { v: 1 } }] });
  },
  async build(ctx) {
    if (ctx.env.BREAK) throw new CnbError("app.json: [start] is missing", { hint: "add a start command" });
    if (ctx.env.CRASH) throw new TypeError("boom");
    const layer = await ctx.layers.fresh("rt", { types: { launch: true } });
    await layer.execD.addSelf("memory");
    return { processes: [{ type: "web", command: ["serve"], default: true }] };
  },
  execD: {
    memory: (ctx) => ({ MEMORY_LIMIT: ctx.env.LIMIT ?? "unset" }),
  },
});
`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-main-"));
  bpDir = join(root, "bp");
  await mkdir(join(bpDir, "bin"), { recursive: true });
  await writeFile(join(root, "entry.ts"), source);
  await bundleEntry(join(root, "entry.ts"), bpDir, ["detect", "build"]);
  await writeFile(
    join(bpDir, "buildpack.toml"),
    'api = "0.12"\n[buildpack]\nid = "test/main"\nversion = "1.0.0"\nname = "Main Test"\n',
  );
}, 180_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  fd3: string;
}

function run(program: string, args: string[], env: Record<string, string>, cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    const out = { stdout: "", stderr: "", fd3: "" };
    child.stdout?.on("data", (d) => (out.stdout += d));
    child.stderr?.on("data", (d) => (out.stderr += d));
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (d) => (out.fd3 += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, ...out }));
  });
}

async function dirs() {
  const d = await mkdtemp(join(root, "run-"));
  for (const sub of ["app", "platform", "layers"]) await mkdir(join(d, sub));
  return { app: join(d, "app"), platform: join(d, "platform"), layers: join(d, "layers"), plan: join(d, "plan.toml") };
}

describe("the entry point as a real program", () => {
  test("detect with positional arguments (older lifecycles) passes with exit 0 and writes the plan", async () => {
    const d = await dirs();
    const r = await run(join(bpDir, "bin", "detect"), [d.platform, d.plan], {}, d.app);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await readFile(d.plan, "utf8")).toContain('name = "x"');
  });

  test("detect fail exits 100", async () => {
    const d = await dirs();
    const env = { CNB_PLATFORM_DIR: d.platform, CNB_BUILD_PLAN_PATH: d.plan, FAIL_DETECT: "1" };
    const r = await run(join(bpDir, "bin", "detect"), [], env, d.app);
    expect(r.code).toBe(100);
    expect(r.stdout).toContain("Skipped: told to fail");
  });

  test("build writes launch.toml and an exec.d copy of itself; the copy answers on fd 3", async () => {
    const d = await dirs();
    await writeFile(d.plan, '[[entries]]\nname = "x"\n');
    const env = {
      CNB_LAYERS_DIR: d.layers,
      CNB_PLATFORM_DIR: d.platform,
      CNB_BP_PLAN_PATH: d.plan,
      CNB_BUILDPACK_DIR: bpDir,
    };
    const r = await run(join(bpDir, "bin", "build"), [], env, d.app);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Main Test 1.0.0");
    expect(await readFile(join(d.layers, "launch.toml"), "utf8")).toContain('command = [ "serve" ]');
    const program = join(d.layers, "rt", "exec.d", "memory");
    const self = await run(program, [], { LIMIT: "512M" }, d.app);
    expect(self.code).toBe(0);
    expect(self.fd3).toBe('MEMORY_LIMIT = "512M"\n');
  });

  test("errors print one line and a hint, exit 1; the stack only at BP_LOG_LEVEL=debug", async () => {
    const d = await dirs();
    await writeFile(d.plan, "");
    const env = {
      CNB_LAYERS_DIR: d.layers,
      CNB_PLATFORM_DIR: d.platform,
      CNB_BP_PLAN_PATH: d.plan,
      CNB_BUILDPACK_DIR: bpDir,
    };
    const broken = await run(join(bpDir, "bin", "build"), [], { ...env, BREAK: "1" }, d.app);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe("error: app.json: [start] is missing\n  add a start command\n");
    const crash = await run(join(bpDir, "bin", "build"), [], { ...env, CRASH: "1" }, d.app);
    expect(crash.stderr).toBe("error: boom\n");
    const debug = await run(join(bpDir, "bin", "build"), [], { ...env, CRASH: "1", BP_LOG_LEVEL: "debug" }, d.app);
    expect(debug.stderr).toMatch(/^error: boom\nTypeError: boom\n\s+at /);
  });

  test("a missing buildpack.toml or plan path is a one-line error", async () => {
    const d = await dirs();
    const r = await run(join(bpDir, "bin", "detect"), [], { CNB_PLATFORM_DIR: d.platform }, d.app);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: detect: CNB_BUILD_PLAN_PATH is not set and no positional argument gives it\n  run detect through the CNB lifecycle, or set CNB_BUILD_PLAN_PATH\n",
    );
  });

  test("run under another name, the program does nothing", async () => {
    const other = join(root, "other");
    await copyFile(join(bpDir, "bin", "main"), other);
    await chmod(other, 0o755);
    const r = await run(other, [], {}, root);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "", fd3: "" });
  });
});

test("phaseOf reads argv[1] (script or SEA executable), then argv0", () => {
  expect(phaseOf(["/usr/bin/node", "/cnb/buildpacks/x/1/bin/detect"], "node")).toEqual({ kind: "detect" });
  expect(phaseOf(["/cnb/bin/build", "/cnb/bin/build"], "/cnb/bin/build")).toEqual({ kind: "build" });
  expect(phaseOf(["/usr/bin/node"], "/layers/x/rt/exec.d/memory", ["memory"])).toEqual({
    kind: "exec.d",
    name: "memory",
  });
  expect(phaseOf(["/usr/bin/node", "/work/vitest.mjs"], "node", ["memory"])).toBeUndefined();
});
