import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildpack } from "@cnbkit/framework";
import { runBuild } from "@cnbkit/framework/testing";
import { expect, onTestFinished, test } from "vitest";
import type { PackageManagerChoice } from "../package-manager.js";
import type { BuildPlan } from "./plan-build.js";
import { toolEnvironment } from "./tool-environment.js";

/** The step alone, for `name`: it declares package_manager_cache and points the tool at it. */
const bp = (name: PackageManagerChoice["name"]) =>
  buildpack({
    detect: (ctx) => ctx.pass(),
    async build(ctx) {
      const manager: PackageManagerChoice = {
        name,
        berry: false,
        source: "test",
        install: [],
        prune: [],
        vendored: false,
      };
      const tools = await toolEnvironment(ctx, { yarnLinker: undefined } as BuildPlan, manager, {});
      await tools.dispose();
      return {};
    },
  });

test("with a layer cache, npm's and Yarn's package_manager_cache go under its root; pnpm's stays in the layers dir, where its store hard-links into node_modules", async () => {
  const root = await mkdtemp(join(tmpdir(), "cnbkit-node-layer-cache-"));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  // <bp> is the basename of the layers dir: the harness's is "layers".
  const home = join(root, "layers", "package_manager_cache");
  for (const name of ["npm", "yarn"] as const) {
    const r = await runBuild(bp(name), { layerCache: root });
    expect(r.layer("package_manager_cache").path).toBe(home);
    expect(existsSync(join(r.layers, "package_manager_cache.toml"))).toBe(false);
  }

  const pnpm = await runBuild(bp("pnpm"), { layerCache: root });
  const layer = pnpm.layer("package_manager_cache");
  expect(layer.path).toBe(join(pnpm.layers, "package_manager_cache"));
  expect(layer.toml?.types).toEqual({ cache: true, build: false, launch: false });
  // New in the layers dir, and the copy Yarn's build kept by reference is gone (undeclared there).
  expect(layer.state).toEqual({ kind: "new" });
  expect(existsSync(home)).toBe(false);
  const again = await runBuild(bp("pnpm"), { layerCache: root, restore: pnpm.layers });
  expect(again.layer("package_manager_cache").state.kind).toBe("restored");
});
