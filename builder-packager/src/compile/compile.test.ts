import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CnbError } from "@cnbkit/framework";
import { cachedQemuPath } from "../base/index.js";
import { cnbkitCacheDir } from "../cache/index.js";
import { type CompiledTarget, compileBuildpack, elfMachine } from "./compile.js";
import { NODE_VERSION } from "./node-runtime.js";

// Real binaries: the pinned Node is downloaded once into ~/.cache/cnbkit (or $CNBKIT_CACHE)
// and reused; each compile writes ~230 MB into a temp dir that is removed afterwards.
const entry = join(import.meta.dirname, "fixtures", "tiny", "entry.ts");
let first: string;
let second: string;
let out1: Record<string, CompiledTarget>;
let out2: Record<string, CompiledTarget>;

beforeAll(async () => {
  first = await mkdtemp(join(tmpdir(), "cnbkit-compile-a-"));
  second = await mkdtemp(join(tmpdir(), "cnbkit-compile-b-"));
  const standalone = { entry, form: "standalone" } as const;
  out1 = await compileBuildpack({ ...standalone, outDir: first, targets: ["linux/amd64", "linux/arm64"] });
  out2 = await compileBuildpack({
    ...standalone,
    outDir: join(second, "elsewhere"),
    targets: ["linux/arm64", "linux/amd64"],
  });
});

afterAll(async () => {
  await rm(first, { recursive: true, force: true });
  await rm(second, { recursive: true, force: true });
});

interface FixtureReport {
  invokedAs: string;
  phase: string;
  args: string[];
  value: string | null;
  version: string;
  arch: string;
  metaUrl: string;
}

/** Runs a compiled binary (optionally through qemu) and returns its exit code and report. */
async function runFixture(cmd: string[], env: Record<string, string> = {}) {
  const report = join(first, `report-${Math.random().toString(36).slice(2)}.json`);
  const baseEnv = { ...process.env };
  delete baseEnv.QEMU_LD_PREFIX;
  delete baseEnv.NODE_OPTIONS;
  const res = spawnSync(cmd[0] as string, cmd.slice(1), {
    env: { ...baseEnv, FIXTURE_OUT: report, ...env },
    encoding: "utf8",
  });
  const text = await readFile(report, "utf8").catch(() => "");
  return { status: res.status, stderr: res.stderr, report: text ? (JSON.parse(text) as FixtureReport) : undefined };
}

describe("compileBuildpack --standalone", () => {
  test("writes bin/main per target, with detect and build as symlinks to it", async () => {
    for (const arch of ["amd64", "arm64"]) {
      const bin = join(first, `linux-${arch}`, "bin");
      const main = out1[`linux/${arch}`];
      expect(main?.main).toBe(join(bin, "main"));
      const st = await stat(join(bin, "main"));
      expect(st.mode & 0o777).toBe(0o755);
      expect(st.size).toBe(main?.size);
      expect(await readlink(join(bin, "detect"))).toBe("main");
      expect(await readlink(join(bin, "build"))).toBe("main");
    }
  });

  test("amd64: dispatches on the invoked name, passes args and env, propagates exit codes", async () => {
    const bin = join(first, "linux-amd64", "bin");
    const detect = await runFixture([join(bin, "detect"), "plan.toml"], { FIXTURE_VALUE: "x=1" });
    expect(detect.status).toBe(100);
    expect(detect.report).toMatchObject({ invokedAs: "detect", phase: "detect", args: ["plan.toml"], value: "x=1" });

    const build = await runFixture([join(bin, "build"), "a", "b"]);
    expect(build.status).toBe(0);
    expect(build.report).toMatchObject({ invokedAs: "build", phase: "build", args: ["a", "b"] });

    // The app's NODE_OPTIONS (here a preload that does not exist) must not reach the buildpack.
    const isolated = await runFixture([join(bin, "build")], { NODE_OPTIONS: "--require /nonexistent/preload.js" });
    expect(isolated.stderr).toBe("");
    expect(isolated.status).toBe(0);

    const failing = await runFixture([join(bin, "build")], { FIXTURE_EXIT: "7" });
    expect(failing.status).toBe(7);
    expect(failing.stderr).toBe("");
  });

  test("amd64: runs the pinned Node, not the host's, and import.meta.url is the binary", async () => {
    const main = join(first, "linux-amd64", "bin", "main");
    const { report } = await runFixture([main]);
    expect(report?.version).toBe(`v${NODE_VERSION}`);
    expect(report?.version).not.toBe(process.version);
    expect(report?.arch).toBe("x64");
    expect(report?.phase).toBe("unknown");
    expect(report?.metaUrl).toBe(pathToFileURL(main).href);
  });

  test("arm64: the ELF header says aarch64 and it runs under qemu-aarch64-static", async () => {
    const qemu = cachedQemuPath("arm64"); // scripts/fetch-qemu.sh put it there
    const bin = join(first, "linux-arm64", "bin");
    expect(await elfMachine(join(bin, "main"))).toBe("arm64");
    expect(await elfMachine(join(first, "linux-amd64", "bin", "main"))).toBe("amd64");
    const detect = await runFixture([qemu, join(bin, "detect"), "arg"]);
    expect(detect.stderr).toBe("");
    expect(detect.status).toBe(100);
    expect(detect.report).toMatchObject({
      invokedAs: "detect",
      args: ["arg"],
      arch: "arm64",
      version: `v${NODE_VERSION}`,
    });
    const build = await runFixture([qemu, join(bin, "build")], { FIXTURE_EXIT: "3" });
    expect(build.status).toBe(3);
    expect(build.report?.phase).toBe("build");
  });

  test("the same input compiled twice, into different directories, gives identical binaries", async () => {
    for (const target of ["linux/amd64", "linux/arm64"]) {
      const a = await sha256(out1[target]?.main as string);
      const b = await sha256(out2[target]?.main as string);
      expect(b).toBe(a);
    }
    expect(await sha256(out1["linux/amd64"]?.main as string)).not.toBe(
      await sha256(out1["linux/arm64"]?.main as string),
    );
  });

  test("the cached executables are marked used by this process, for the cache's LRU pruning", async () => {
    const seaRoot = join(cnbkitCacheDir(), "sea");
    const mine = (await readdir(join(seaRoot, ".in-use"))).filter((m) => m.endsWith(`.${process.pid}`));
    const keys = mine.map((m) => m.slice(0, m.lastIndexOf(".")));
    expect(keys).toHaveLength(2);
    const cached = await Promise.all(keys.map((k) => sha256(join(seaRoot, k, "main"))));
    const written = await Promise.all(Object.values(out2).map((t) => sha256(t.main)));
    expect(cached.sort()).toEqual(written.sort());
    for (const k of keys) expect((await stat(join(seaRoot, k))).mtimeMs).toBeGreaterThan(Date.now() - 600_000);
  });

  test("rejects unknown targets and a missing entry with one-line errors", async () => {
    await expect(compileBuildpack({ entry, outDir: first, targets: ["linux/s390x" as "linux/amd64"] })).rejects.toThrow(
      /target "linux\/s390x" is not supported/,
    );
    await expect(compileBuildpack({ entry, outDir: first, targets: [] })).rejects.toBeInstanceOf(CnbError);
    await expect(
      compileBuildpack({ entry: join(first, "nope.ts"), outDir: first, targets: ["linux/amd64"] }),
    ).rejects.toThrow(/nope\.ts: buildpack entry file not found/);
  });
});

async function sha256(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}
