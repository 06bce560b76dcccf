import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildpack } from "@cnbkit/framework";
import { runBuild } from "@cnbkit/framework/testing";
import { expect, onTestFinished, test } from "vitest";
import { goCaches, keepGoCaches } from "./go-caches.js";

/**
 * The step alone: it declares the caches and (as the go command would) writes into GOCACHE,
 * and go list's answer into go-build's metadata, as compile.ts does; `keep` plays a build
 * that compiles nothing.
 */
const bp = (keep = false) =>
  buildpack({
    detect: (ctx) => ctx.pass(),
    async build(ctx) {
      if (keep) {
        await keepGoCaches(ctx, "1.26.11");
        return {};
      }
      const caches = await goCaches(ctx, "1.26.11", undefined);
      await writeFile(join(caches.env.set?.GOCACHE ?? "", "README"), "compiled packages");
      caches.build.metadata = { cgoKey: "graph-1", cgoPackages: [] };
      return {};
    },
  });

test("with a layer cache, go-mod and go-build live under its root, not in the layers dir, and a build that compiles nothing keeps them", async () => {
  const root = await mkdtemp(join(tmpdir(), "cnbkit-go-layer-cache-"));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  const first = await runBuild(bp(), { layerCache: root });
  // <bp> is the basename of the layers dir: the harness's is "layers".
  const home = join(root, "layers");
  expect(first.layer("go-build").path).toBe(join(home, "go-build"));
  expect(first.layer("go-mod").path).toBe(join(home, "go-mod"));
  expect(first.layer("go-build").toml?.types).toEqual({ cache: true, build: false, launch: false });
  expect((await readdir(home)).sort()).toEqual(["go-build", "go-build.toml", "go-mod", "go-mod.toml"]);
  expect(await readdir(first.layers)).toEqual([]);

  const second = await runBuild(bp(true), { restore: first.layers, layerCache: root });
  expect(second.layer("go-build").state.kind).toBe("restored");
  expect(second.layer("go-mod").state.kind).toBe("restored");
  expect(await readFile(join(home, "go-build", "README"), "utf8")).toBe("compiled packages");
  expect(await readdir(second.layers)).toEqual([]);
  // go list's answer stays with GOCACHE through a build that compiles nothing.
  expect(second.layer("go-build").toml?.metadata).toMatchObject({ cgoKey: "graph-1", cgoPackages: [] });
  expect(await readFile(join(home, "go-build.toml"), "utf8")).toContain('cgoKey = "graph-1"');

  // Without one (pack, kpack), the caches are the lifecycle's, as before.
  const stock = await runBuild(bp());
  expect(stock.layer("go-build").path).toBe(join(stock.layers, "go-build"));
  expect(existsSync(join(stock.layers, "go-build.toml"))).toBe(true);
});
