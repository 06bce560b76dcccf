import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cachedLifecycleDir,
  DEFAULT_LIFECYCLE_VERSION,
} from "@cnbkit/builder-packager/src/builder/lifecycle-binary.js";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { afterAll, describe, expect, test } from "vitest";
import { MEMORY_EXEC_D, MEMORY_SCRIPT } from "./memory.js";

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "node-memory-"));
const prog = join(dir, MEMORY_EXEC_D);
writeFileSync(prog, MEMORY_SCRIPT, { mode: 0o755 });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake cgroup root with a v2 `memory.max` and/or a v1 `memory/memory.limit_in_bytes`. */
function cgroup(files: { v2?: string; v1?: string }): string {
  const root = mkdtempSync(join(dir, "cg-"));
  if (files.v2 !== undefined) writeFileSync(join(root, "memory.max"), files.v2);
  if (files.v1 !== undefined) {
    mkdirSync(join(root, "memory"));
    writeFileSync(join(root, "memory", "memory.limit_in_bytes"), files.v1);
  }
  return root;
}

/** Runs `sh <prog> 3>out.toml` as the launcher would, with only the given env; returns the parsed fd 3. */
function run(root: string, env: Record<string, string> = {}): Record<string, unknown> {
  const out = join(mkdtempSync(join(dir, "out-")), "out.toml");
  const fd3 = openSync(out, "w");
  try {
    const r = spawnSync("sh", [prog], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", CNB_CGROUP_ROOT: root, ...env },
      stdio: ["ignore", "pipe", "pipe", fd3],
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  } finally {
    closeSync(fd3);
  }
  return parseToml(readFileSync(out, "utf8"), out) as Record<string, unknown>;
}

describe("the node-memory exec.d script", () => {
  test("cgroup v2: 75% of 1 GiB heap and 2 workers", () => {
    expect(run(cgroup({ v2: "1073741824\n" }))).toEqual({
      NODE_OPTIONS: "--max-old-space-size=768",
      WEB_CONCURRENCY: "2",
    });
  });

  test("cgroup v1: 512 MiB gives 384 MiB heap and 1 worker", () => {
    expect(run(cgroup({ v1: "536870912\n" }))).toEqual({
      NODE_OPTIONS: "--max-old-space-size=384",
      WEB_CONCURRENCY: "1",
    });
  });

  test("a small limit still gives at least 1 MiB of heap and 1 worker", () => {
    expect(run(cgroup({ v2: String(256 * MiB) }))).toEqual({
      NODE_OPTIONS: "--max-old-space-size=192",
      WEB_CONCURRENCY: "1",
    });
    expect(run(cgroup({ v2: "1024" }))).toEqual({ NODE_OPTIONS: "--max-old-space-size=1", WEB_CONCURRENCY: "1" });
  });

  test("v2 takes precedence over v1; a non-numeric v2 falls through to v1", () => {
    expect(run(cgroup({ v2: String(2048 * MiB), v1: String(512 * MiB) }))).toMatchObject({ WEB_CONCURRENCY: "4" });
    expect(run(cgroup({ v2: "garbage", v1: String(2048 * MiB) }))).toMatchObject({ WEB_CONCURRENCY: "4" });
  });

  test("unlimited sets nothing: v2 max, v1 ~2^63, 1 PiB and up, zero, no cgroup files", () => {
    expect(run(cgroup({ v2: "max\n", v1: "1073741824" }))).toEqual({});
    expect(run(cgroup({ v1: "9223372036854771712\n" }))).toEqual({});
    expect(run(cgroup({ v1: "99999999999999999999999" }))).toEqual({});
    expect(run(cgroup({ v2: String(2 ** 50) }))).toEqual({});
    expect(run(cgroup({ v2: "0" }))).toEqual({});
    expect(run(cgroup({}))).toEqual({});
  });

  test("existing NODE_OPTIONS is kept (TOML-escaped) and extended", () => {
    expect(run(cgroup({ v2: "1073741824" }), { NODE_OPTIONS: '--enable-source-maps --title="a \\b"' })).toEqual({
      NODE_OPTIONS: '--enable-source-maps --title="a \\b" --max-old-space-size=768',
      WEB_CONCURRENCY: "2",
    });
  });

  test("a heap flag already in NODE_OPTIONS and a set WEB_CONCURRENCY are left alone", () => {
    const root = cgroup({ v2: "1073741824" });
    expect(run(root, { NODE_OPTIONS: "--max-old-space-size=100", WEB_CONCURRENCY: "8" })).toEqual({});
    expect(run(root, { NODE_OPTIONS: "--max_old_space_size=100" })).toEqual({ WEB_CONCURRENCY: "2" });
    expect(run(root, { WEB_CONCURRENCY: "" })).toMatchObject({ WEB_CONCURRENCY: "2" });
  });
});

describe("under the real CNB launcher", () => {
  test("the launcher runs the script from the layer's exec.d and the process sees its env", () => {
    // A launch-time layers dir as the exporter leaves it: metadata naming the buildpack, and
    // the node_exec_d layer with the script.
    const layers = mkdtempSync(join(dir, "layers-"));
    mkdirSync(join(layers, "config"));
    writeFileSync(join(layers, "config", "metadata.toml"), '[[buildpacks]]\nid = "cnbkit/nodejs"\napi = "0.10"\n');
    mkdirSync(join(layers, "cnbkit_nodejs", "node_exec_d", "exec.d"), { recursive: true });
    writeFileSync(join(layers, "cnbkit_nodejs", "node_exec_d.toml"), "[types]\nlaunch = true\n");
    writeFileSync(join(layers, "cnbkit_nodejs", "node_exec_d", "exec.d", MEMORY_EXEC_D), MEMORY_SCRIPT, {
      mode: 0o755,
    });
    const app = mkdtempSync(join(dir, "app-"));
    const launcher = join(cachedLifecycleDir(DEFAULT_LIFECYCLE_VERSION), "launcher");
    const r = spawnSync(launcher, ["env"], {
      cwd: app,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: app,
        CNB_PLATFORM_API: "0.14",
        CNB_LAYERS_DIR: layers,
        CNB_APP_DIR: app,
        CNB_CGROUP_ROOT: cgroup({ v2: String(2048 * MiB) }),
        NODE_OPTIONS: "--enable-source-maps",
      },
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    expect(lines).toContain("NODE_OPTIONS=--enable-source-maps --max-old-space-size=1536");
    expect(lines).toContain("WEB_CONCURRENCY=4");
  });
});
