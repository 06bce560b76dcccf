import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BUNDLE_CHUNKS_DIR } from "@cnbkit/framework/packaging";
import { cachedQemuPath } from "../base/index.js";
import { DETECT_PACK } from "./bundle.js";
import { CODE_CACHE_SUFFIX } from "./code-cache.js";
import { type CompiledTarget, compileBuildpack } from "./compile.js";
import { BUNDLE_PATH } from "./launcher.js";
import { NODE_VERSION } from "./node-runtime.js";
import { RUNTIME_MODULE_ID } from "./runtime-module.js";

// The default form: bin/detect and bin/build are sh launchers of lib/main.cjs on the runtime
// buildpack. The tests lay both out as siblings in a buildpacks dir, as a builder does.
const entry = join(import.meta.dirname, "fixtures", "framework", "entry.ts");
const buildpack = { id: "acme/fixture", version: "1.0.0" };
let work: string;
let out: Record<string, CompiledTarget>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-shared-form-"));
  out = await compileBuildpack({ entry, outDir: join(work, "a"), targets: ["linux/amd64", "linux/arm64"], buildpack });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `<work>/<name>/acme_fixture/1.0.0` (+ the runtime beside it unless `withRuntime` is false). */
async function install(name: string, arch: string, withRuntime = true): Promise<string> {
  const bp = join(work, name, "acme_fixture", "1.0.0");
  await mkdir(bp, { recursive: true });
  await cp(join(work, "a", `linux-${arch}`), bp, { recursive: true });
  await writeFile(join(bp, "buildpack.toml"), `api = "0.10"\n[buildpack]\nid = "acme/fixture"\nversion = "1.0.0"\n`);
  const rt = out[`linux/${arch}`]?.runtime;
  if (withRuntime && rt) await cp(rt.dir, join(work, name, "cnbkit_node-runtime", rt.version), { recursive: true });
  return bp;
}

/** Runs `cmd` in an empty app dir with a platform dir and plan path; returns status, stderr, report, plan. */
async function detect(cmd: string[], env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(work, "run-"));
  await mkdir(join(dir, "app"));
  await mkdir(join(dir, "platform"));
  const base = { ...process.env };
  delete base.NODE_OPTIONS;
  delete base.CNB_BUILDPACK_DIR;
  const res = spawnSync(cmd[0] as string, [...cmd.slice(1), join(dir, "platform"), join(dir, "plan.toml")], {
    cwd: join(dir, "app"),
    env: { ...base, FIXTURE_OUT: join(dir, "report.json"), ...env },
    encoding: "utf8",
  });
  const report = await readFile(join(dir, "report.json"), "utf8").then(JSON.parse, () => undefined);
  const plan = await readFile(join(dir, "plan.toml"), "utf8").catch(() => undefined);
  return { status: res.status, stderr: res.stderr, report, plan };
}

describe("compileBuildpack (shared form)", () => {
  test("writes lib/main.cjs and two sh launchers per target, and names the runtime buildpack", async () => {
    for (const arch of ["amd64", "arm64"]) {
      const dir = join(work, "a", `linux-${arch}`);
      const t = out[`linux/${arch}`];
      expect(t?.main).toBe(join(dir, BUNDLE_PATH));
      // lib/main.cjs is the loader; the code is in lib/chunks: the chunks a detect loads (the
      // entry's, the framework's detect) in the detect pack with its V8 code cache, and the
      // build-only ones as files of their own.
      const chunks = await readdir(join(dir, "lib", BUNDLE_CHUNKS_DIR));
      const sources = chunks.filter((n) => !n.endsWith(CODE_CACHE_SUFFIX));
      const cached = chunks.filter((n) => n.endsWith(CODE_CACHE_SUFFIX));
      expect(cached).toEqual([`${DETECT_PACK}${CODE_CACHE_SUFFIX}`]);
      expect(sources).toContain(DETECT_PACK);
      expect(sources).not.toContain("main.js");
      const pack = await readFile(join(dir, "lib", BUNDLE_CHUNKS_DIR, DETECT_PACK), "utf8");
      expect(pack).toContain('"./main.js":function(');
      expect(sources.length).toBeGreaterThan(1);
      let size = (await stat(join(dir, BUNDLE_PATH))).size;
      for (const n of sources) size += (await stat(join(dir, "lib", BUNDLE_CHUNKS_DIR, n))).size;
      expect(size).toBe(t?.size);
      for (const phase of ["detect", "build"]) {
        const launcher = join(dir, "bin", phase);
        expect((await stat(launcher)).mode & 0o777).toBe(0o755);
        expect((await readFile(launcher, "utf8")).startsWith("#!/bin/sh\n")).toBe(true);
        // The bundle runs as lib/<phase>, so it sees the phase as its name, as a single executable does.
        expect(await readlink(join(dir, "lib", phase))).toBe("main.cjs");
      }
      await expect(stat(join(dir, "bin", "main"))).rejects.toThrow(/ENOENT/);
      expect(t?.runtime).toMatchObject({ id: RUNTIME_MODULE_ID, version: NODE_VERSION, arch });
      expect(t?.size).toBeLessThan(2 * 1024 * 1024);
    }
  });

  test("amd64: the launcher runs the runtime's Node on the bundle, in the phase, with the caller's NODE_OPTIONS given back", async () => {
    const bp = await install("buildpacks", "amd64");
    const passed = await detect([join(bp, "bin", "detect")], {
      FIXTURE_PASS: "1",
      // A preload that does not exist: had the buildpack's own Node taken it, it would not start.
      NODE_OPTIONS: "--require /nonexistent/preload.js",
    });
    expect(passed.stderr).toBe("");
    expect(passed.status).toBe(0);
    expect(passed.report).toMatchObject({
      phase: "detect",
      buildpackDir: bp,
      id: "acme/fixture",
      nodeOptions: "--require /nonexistent/preload.js",
      saved: null,
      version: `v${NODE_VERSION}`,
      arch: "x64",
    });
    expect(passed.plan).toContain('name = "fixture"');

    const failed = await detect([join(bp, "bin", "detect")]);
    expect(failed.status).toBe(100);
    expect(failed.report?.nodeOptions).toBeNull();
  });

  test("arm64: the runtime's Node runs the same bundle under qemu-aarch64-static", async () => {
    const bp = await install("buildpacks-arm64", "arm64");
    const node = join(bp, "..", "..", "cnbkit_node-runtime", NODE_VERSION, "bin", "node");
    const res = await detect([cachedQemuPath("arm64"), node, join(bp, "lib", "detect")], { FIXTURE_PASS: "1" });
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.report).toMatchObject({ phase: "detect", arch: "arm64", version: `v${NODE_VERSION}` });
  });

  test("build's execD.addSelf copies the bundle, its chunks and Node into the layer: it runs without the buildpack", async () => {
    const bp = await install("buildpacks-execd", "amd64");
    const dir = await mkdtemp(join(work, "build-"));
    for (const d of ["app", "layers", "platform"]) await mkdir(join(dir, d));
    await writeFile(join(dir, "plan.toml"), "");
    const base = { ...process.env };
    delete base.NODE_OPTIONS;
    delete base.CNB_BUILDPACK_DIR;
    const built = spawnSync(
      join(bp, "bin", "build"),
      [join(dir, "layers"), join(dir, "platform"), join(dir, "plan.toml")],
      {
        cwd: join(dir, "app"),
        env: base,
        encoding: "utf8",
      },
    );
    expect(built.stderr).toBe("");
    expect(built.status).toBe(0);
    // The app image has no /cnb/buildpacks: take the buildpack and its runtime away.
    await rm(join(work, "buildpacks-execd"), { recursive: true, force: true });
    const program = join(dir, "layers", "rt", "exec.d", "fixture-env");
    // exec.d output goes to fd 3 (the launcher's channel); here fd 3 is a pipe we read.
    const ran = spawnSync("sh", ["-c", `'${program}' 3>&1 1>/dev/null`], { env: base, encoding: "utf8" });
    expect(ran.stderr).toBe("");
    expect(ran.status).toBe(0);
    expect(ran.stdout).toBe(`FIXTURE_EXECD = "v${NODE_VERSION}"\n`);
  });

  test("a buildpack dir without its runtime fails in one line that names the runtime and the fix", async () => {
    const bp = await install("alone", "amd64", false);
    const res = await detect([join(bp, "bin", "build")]);
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toContain(`${RUNTIME_MODULE_ID}@${NODE_VERSION} is not at`);
    expect(res.stderr).toContain("--standalone");
  });

  test("a declarative detect becomes a sh bin/detect that decides without Node, and hands 'code' to lib/node-detect", async () => {
    const rulesEntry = join(import.meta.dirname, "fixtures", "rules", "entry.ts");
    const rules = { entry: rulesEntry, outDir: join(work, "rules"), targets: ["linux/amd64" as const], buildpack };
    await compileBuildpack(rules);
    const bp = join(work, "rules-bps", "acme_fixture", "1.0.0");
    await mkdir(bp, { recursive: true });
    await cp(join(work, "rules", "linux-amd64"), bp, { recursive: true });
    await writeFile(join(bp, "buildpack.toml"), `api = "0.10"\n[buildpack]\nid = "acme/fixture"\nversion = "1.0.0"\n`);
    const script = await readFile(join(bp, "bin", "detect"), "utf8");
    expect(script).not.toContain("main.cjs");
    const run = async (file: string) => {
      const dir = await mkdtemp(join(work, "rules-run-"));
      await mkdir(join(dir, "app"));
      await mkdir(join(dir, "platform"));
      if (file) await writeFile(join(dir, "app", file), "");
      const base = { ...process.env };
      delete base.NODE_OPTIONS;
      const res = spawnSync(join(bp, "bin", "detect"), [join(dir, "platform"), join(dir, "plan.toml")], {
        cwd: join(dir, "app"),
        env: { ...base, CNB_BUILDPACK_DIR: bp },
        encoding: "utf8",
      });
      return { ...res, plan: await readFile(join(dir, "plan.toml"), "utf8").catch(() => "") };
    };
    // No runtime beside it yet: the sh outcomes still work, which shows they start no Node.
    const sh = await run("marker");
    expect(sh.status).toBe(0);
    expect(sh.plan).toContain('name = "from-sh"');
    expect((await run("")).status).toBe(100);
    const rt = out["linux/amd64"]?.runtime;
    if (!rt) throw new Error("no runtime");
    await cp(rt.dir, join(work, "rules-bps", "cnbkit_node-runtime", rt.version), { recursive: true });
    const node = await run("ask-node");
    expect(node.stderr).toBe("");
    expect(node.status).toBe(0);
    expect(node.plan).toContain('name = "from-node"');
  });

  test("the same input compiled into another directory gives identical files", async () => {
    const again = await compileBuildpack({ entry, outDir: join(work, "b"), targets: ["linux/amd64"], buildpack });
    for (const rel of [BUNDLE_PATH, "bin/detect", "bin/build"]) {
      const a = await readFile(join(work, "a", "linux-amd64", rel));
      const b = await readFile(join(work, "b", "linux-amd64", rel));
      expect(b.equals(a)).toBe(true);
    }
    expect(again["linux/amd64"]?.runtime?.dir).toBe(out["linux/amd64"]?.runtime?.dir);
  });
});
