/**
 * One detect + build of two framework buildpacks by the real lifecycle, then launches of
 * the result by the real launcher. Every assertion reads what the lifecycle (or a process
 * it started) produced: plan.toml, config/metadata.toml, the sbom dirs, a later
 * buildpack's view of the environment, the launched process's environment.
 *
 * t/first provides runtime, shared and met, declares env of every kind, SBOMs, exec.d,
 * processes, labels and slices, and returns shared as unmet. t/second requires all three
 * and records, in a layer, the plan entries and env its build was given.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { writeFrameworkBuildpack } from "../support/buildpack.js";
import { type LaunchResult, launch } from "../support/launcher.js";
import {
  build,
  createWorkspace,
  detect,
  type PhaseResult,
  readLifecycleToml,
  type Workspace,
  writeOrder,
} from "../support/lifecycle.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
/** The builder's environment: PATH and NO_PROXY are among what it passes on to buildpacks. */
const BUILD_ENV = { PATH: "/usr/bin:/bin", NO_PROXY: "preset.example" };

let ws: Workspace;
let detected: PhaseResult;
let built: PhaseResult;

beforeAll(async () => {
  ws = await createWorkspace();
  await writeFrameworkBuildpack(ws, {
    id: "t/first",
    version: "1.0.0",
    source: await readFile(join(FIXTURES, "first.ts"), "utf8"),
    buildpackToml: 'sbom-formats = ["application/vnd.cyclonedx+json", "application/spdx+json"]',
  });
  await writeFrameworkBuildpack(ws, {
    id: "t/second",
    version: "2.0.0",
    source: await readFile(join(FIXTURES, "second.ts"), "utf8"),
  });
  await mkdir(join(ws.app, "sub"));
  await writeFile(join(ws.platform, "env", "PLATFORM_VAR"), "from-platform");
  await writeOrder(ws, [
    [
      { id: "t/first", version: "1.0.0" },
      { id: "t/second", version: "2.0.0" },
    ],
  ]);
  detected = await detect(ws, BUILD_ENV);
  built = await build(ws, BUILD_ENV);
});

afterAll(() => ws?.cleanup());

const layer = (...parts: string[]) => join(ws.layers, ...parts);
const readJson = async (...parts: string[]) => JSON.parse(await readFile(layer(...parts), "utf8"));
const metadata = async () => (await readLifecycleToml(layer("config", "metadata.toml")))!;

test("the lifecycle detects and builds both buildpacks", () => {
  expect(detected.code, detected.output).toBe(0);
  expect(built.code, built.output).toBe(0);
});

describe("plan entries reaching build", () => {
  test("the provider gets every entry it provides, with each requirer's metadata in group order", async () => {
    // The order of different names is the lifecycle's map order; within a name it is group order.
    const entries: { name: string }[] = await readJson("t_first", "rt", "plan.json");
    expect(entries.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: "met", metadata: { note: "first meets it" } },
      { name: "runtime", metadata: { launch: true, version: "1.2.3" } },
      { name: "runtime", metadata: { from: "second" } },
      { name: "shared", metadata: { note: "needs shared" } },
    ]);
  });

  test("build.toml unmet hands an entry on to the next provider; met entries stop at the first", async () => {
    const report = await readJson("t_second", "report", "report.json");
    expect(report.plan).toEqual([{ name: "shared", metadata: { note: "needs shared" } }]);
  });
});

describe("env files as seen by a later buildpack's build", () => {
  let env: Record<string, string | null>;
  let path: string;
  beforeAll(async () => {
    const report = await readJson("t_second", "report", "report.json");
    env = report.env;
    path = report.path;
  });

  test("override (env/, later layer wins), default (only when unset), build-only and launch-only", () => {
    expect(env).toMatchObject({
      OVR: "from-rt",
      DEF: "from-default",
      NO_PROXY: "preset.example",
      BUILD_ONLY: "yes",
      LAUNCH_ONLY: null,
      LAUNCH_DEF: null,
      WEB_ONLY: null,
    });
  });

  test("append and prepend join with the .delim file, and without one when there is none", () => {
    expect(env).toMatchObject({ LIST: "mid,end", PLIST: "start:mid", NODELIM: "wx" });
  });

  test("PATH gets the earlier build layer's bin/ first", async () => {
    expect(path).toBe(`${layer("t_first", "rt", "bin")}:${BUILD_ENV.PATH}`);
    expect((await readJson("t_second", "report", "report.json")).tool).toBe("rt-tool ran\n");
  });
});

describe("platform input the builder hands a buildpack", () => {
  test("target (CNB_TARGET_* from the run image, here the host's os-release), exec env and platform env", async () => {
    const report = await readJson("t_second", "report", "report.json");
    const osRelease = await readFile("/etc/os-release", "utf8");
    const field = (k: string) => osRelease.match(new RegExp(`^${k}="?([^"\\n]*)"?$`, "m"))?.[1];
    const arch = ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch];
    expect(report.target).toEqual({ os: "linux", arch, distro: { name: field("ID"), version: field("VERSION_ID") } });
    expect(report.execEnv).toBe("production");
    expect(report.platformEnv).toEqual({ PLATFORM_VAR: "from-platform" });
  });
});

describe("launch.toml as the builder records it in config/metadata.toml", () => {
  test("processes keep command, working-dir and buildpack id; the default becomes buildpack-default-process-type", async () => {
    const md = await metadata();
    const show = "process.stdout.write(JSON.stringify({ cwd: process.cwd(), env: process.env }))";
    expect(md["buildpack-default-process-type"]).toBe("web");
    const processes = md.processes as Record<string, unknown>[];
    expect(processes.map((p) => p.type).sort()).toEqual(["second", "tests", "web", "worker"]);
    expect(processes.find((p) => p.type === "web")).toEqual({
      type: "web",
      command: ["node", "-e", show],
      direct: true,
      "buildpack-id": "t/first",
      "working-dir": "sub",
    });
    expect(processes.find((p) => p.type === "worker")).toEqual({
      type: "worker",
      command: ["node", "-e", show],
      direct: true,
      "buildpack-id": "t/first",
    });
  });

  test("args and exec-env (Buildpack API 0.12, Platform API 0.15) are kept", async () => {
    const processes = (await metadata()).processes as Record<string, unknown>[];
    expect(processes.find((p) => p.type === "tests")).toEqual({
      type: "tests",
      command: ["node", "--test"],
      args: ["test/"],
      direct: true,
      "buildpack-id": "t/first",
      "exec-env": ["test"],
    });
  });

  test("labels of both buildpacks, in group order", async () => {
    expect((await metadata()).labels).toEqual([
      { key: "org.example.first", value: "one" },
      { key: "org.example.second", value: "two" },
    ]);
  });

  test("slices", async () => {
    expect((await metadata()).slices).toEqual([{ paths: ["static/*", "assets"] }]);
  });

  test("the group's buildpacks with their API", async () => {
    expect((await metadata()).buildpacks).toEqual([
      { id: "t/first", version: "1.0.0", api: "0.12" },
      { id: "t/second", version: "2.0.0", api: "0.12" },
    ]);
  });
});

describe("SBOM files collected by the builder", () => {
  const cases = [
    { dir: ["launch", "t_first", "rt"], name: "rt-component", version: "1.2.3" },
    { dir: ["build", "t_first", "a"], name: "build-tool", version: "0.1.0" },
    { dir: ["launch", "t_first"], name: "launch-wide", version: "2.0.0" },
    { dir: ["build", "t_first"], name: "build-wide", version: "3.0.0" },
  ];
  for (const c of cases) {
    test(`sbom/${c.dir.join("/")} holds CycloneDX and SPDX naming ${c.name}`, async () => {
      const cdx = await readJson("sbom", ...c.dir, "sbom.cdx.json");
      expect(cdx.bomFormat).toBe("CycloneDX");
      expect(cdx.components.map((x: { name: string; version: string }) => [x.name, x.version])).toEqual([
        [c.name, c.version],
      ]);
      const spdx = await readJson("sbom", ...c.dir, "sbom.spdx.json");
      expect(spdx.spdxVersion).toBe("SPDX-2.3");
      expect(spdx.packages.map((x: { name: string; versionInfo: string }) => [x.name, x.versionInfo])).toEqual([
        [c.name, c.version],
      ]);
    });
  }

  test("a component's purl and license survive into the launch SBOM", async () => {
    const cdx = await readJson("sbom", "launch", "t_first", "rt", "sbom.cdx.json");
    expect(cdx.components[0].purl).toBe("pkg:generic/rt-component@1.2.3");
    expect(cdx.components[0].licenses).toEqual([{ license: { id: "MIT" } }]);
  });

  test("a buildpack without sbom-formats contributes no SBOM dir", async () => {
    expect((await readdir(layer("sbom", "launch"))).sort()).toEqual(["sbom.legacy.json", "t_first"]);
  });
});

describe("the real launcher runs the built image's processes", () => {
  let web: LaunchResult;
  let worker: LaunchResult;
  const launchEnv = { NO_PROXY: "preset.example", LAUNCH_LIST: "base" };
  const seen = (r: LaunchResult) => JSON.parse(r.stdout) as { cwd: string; env: Record<string, string> };
  beforeAll(async () => {
    web = await launch(ws, "web", launchEnv);
    worker = await launch(ws, "worker", launchEnv);
  });

  test("both processes start", () => {
    expect(web.code, web.output).toBe(0);
    expect(worker.code, worker.output).toBe(0);
  });

  test("launch env: env/ and env.launch/ apply, env.build/ does not, bin/ is on PATH", () => {
    const { env } = seen(worker);
    expect(env).toMatchObject({
      OVR: "from-rt",
      DEF: "from-default",
      NO_PROXY: "preset.example",
      LAUNCH_ONLY: "yes",
      LAUNCH_DEF: "launch-default",
      LAUNCH_LIST: "first;base",
      PATH: `${layer("t_first", "rt", "bin")}:/usr/bin:/bin`,
    });
    for (const name of ["BUILD_ONLY", "LIST", "PLIST", "NODELIM", "WEB_ONLY", "WEB_EXECD"]) {
      expect(env[name], name).toBeUndefined();
    }
  });

  test("process-specific env (env.launch/web/) reaches only that process", () => {
    expect(seen(web).env.WEB_ONLY).toBe("web");
    expect(seen(worker).env.WEB_ONLY).toBeUndefined();
  });

  test("exec.d output reaches the process; the program sees the buildpack env", () => {
    expect(seen(worker).env).toMatchObject({ EXECD_VAR: "from-exec-d", EXECD_SAW: "from-rt" });
    expect(seen(web).env).toMatchObject({ EXECD_VAR: "from-exec-d", EXECD_SAW: "from-rt", WEB_EXECD: "1" });
  });

  test("working-dir is relative to the app; without it the process runs in the app", () => {
    expect(seen(web).cwd).toBe(join(ws.app, "sub"));
    expect(seen(worker).cwd).toBe(ws.app);
  });
});
