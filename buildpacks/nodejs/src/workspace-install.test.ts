import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import bp from "./index.js";
import { type NodeMirror, startNodeMirror } from "./testing/mirror.js";

// Workspaces installed by the real tools, from the e2e fixtures (lockfiles written by yarn
// 1.22.22 and pnpm 9.15.9): @demo/web depends on @demo/greet, which depends on ms.
const FIXTURES = new URL("../../../test/e2e/fixtures/", import.meta.url).pathname;
let mirror: NodeMirror;
const temps: string[] = [];

beforeAll(async () => {
  mirror = await startNodeMirror(["24.11.1"]);
});
afterAll(async () => {
  await mirror?.close();
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

/** A fresh copy of a fixture, as a platform hands the source to every build. */
async function source(name: string, edit?: (dir: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `cnbkit-ws-${name}-`));
  temps.push(dir);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  await edit?.(dir);
  return dir;
}

const opts = (app: string, restore?: string) => ({
  app,
  buildpackToml: mirror.buildpackToml,
  env: mirror.env,
  platformEnv: { BP_NODE_PROJECT_PATH: "packages/web" },
  ...(restore ? { restore } : {}),
});

/** What packages/web gets from its workspace dependency, run with this machine's Node. */
const greet = (app: string) =>
  execFileSync(process.execPath, ["-e", 'console.log(require("@demo/greet").greet("web"))'], {
    cwd: join(app, "packages/web"),
    encoding: "utf8",
  });

describe("pnpm workspace", () => {
  test("members' node_modules live in the layer and are linked back, also when a rebuild reuses it", async () => {
    const first = await runBuild(bp, opts(await source("pnpm-workspace")));
    const mods = first.layer("launch_modules");
    expect(first.stdout.join("\n")).toContain("Running pnpm install --frozen-lockfile --prod");
    expect(mods.toml?.metadata?.["workspace-modules"]).toEqual(["packages/greet", "packages/web"]);
    for (const m of ["packages/greet", "packages/web"]) {
      expect(readlinkSync(join(first.app, m, "node_modules"))).toBe(join(mods.path, "workspaces", m, "node_modules"));
    }
    expect(mods.files).toContain("workspaces/packages/greet/node_modules/ms");
    expect(greet(first.app)).toBe("hello web from a pnpm workspace, 3 seconds\n");
    expect(first.processes[0]?.workingDir).toBe(join(first.app, "packages/web"));

    // The platform hands a rebuild the source again: no node_modules anywhere in it.
    const second = await runBuild(bp, opts(await source("pnpm-workspace"), first.layers));
    const again = second.layer("launch_modules");
    expect(again.state.kind).toBe("restored");
    expect(second.stdout.join("\n")).not.toContain("Running pnpm install");
    for (const m of ["packages/greet", "packages/web"]) {
      expect(readlinkSync(join(second.app, m, "node_modules"))).toBe(join(again.path, "workspaces", m, "node_modules"));
    }
  });

  test("with a build script: members link to the build layer for the script, then to the pruned launch layer", async () => {
    const app = await source("pnpm-workspace", async (dir) => {
      const pkgPath = join(dir, "packages/web/package.json");
      const pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
      // The script needs greet (through packages/web/node_modules) and ms (through greet's).
      pkg.scripts.build = `node -e "require('fs').writeFileSync('built.txt', require('@demo/greet').greet('build'))"`;
      await writeFile(pkgPath, JSON.stringify(pkg));
    });
    const r = await runBuild(bp, opts(app));
    expect(readFileSync(join(r.app, "packages/web/built.txt"), "utf8")).toBe(
      "hello build from a pnpm workspace, 3 seconds",
    );
    const launch = r.layer("launch_modules");
    expect(r.layer("build_modules").toml?.metadata?.["workspace-modules"]).toEqual(["packages/greet", "packages/web"]);
    expect(launch.toml?.metadata?.["workspace-modules"]).toEqual(["packages/greet", "packages/web"]);
    expect(readlinkSync(join(r.app, "packages/greet/node_modules"))).toBe(
      join(launch.path, "workspaces/packages/greet/node_modules"),
    );
    expect(greet(r.app)).toBe("hello web from a pnpm workspace, 3 seconds\n");
  });
});

describe("yarn classic workspace", () => {
  test("installs at the root; everything is hoisted, so members get no node_modules", async () => {
    const r = await runBuild(bp, opts(await source("yarn-workspace")));
    expect(r.stdout.join("\n")).toContain("Running yarn install --frozen-lockfile --production=true");
    expect(r.layer("launch_modules").toml?.metadata?.["workspace-modules"]).toBeUndefined();
    expect(existsSync(join(r.app, "packages/web/node_modules"))).toBe(false);
    expect(r.layer("launch_modules").files).toContain("node_modules/ms/package.json");
    expect(greet(r.app)).toBe("hello web from a yarn workspace, 3 seconds\n");
    expect(r.processes).toEqual([
      { type: "web", command: ["yarn", "start"], default: true, workingDir: join(r.app, "packages/web") },
    ]);
  });
});
