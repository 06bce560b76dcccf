import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import bp from "./index.js";
import { type NodeMirror, startNodeMirror } from "./testing/mirror.js";

// A start script that runs a dev dependency's bin, as a NestJS starter's "nest start" does.
// testdata/start-tool/package-lock.json was written by npm 11: debug (with ms) in
// dependencies, which (with isexe; bin node-which) in devDependencies. npm ci is real.
let mirror: NodeMirror;
beforeAll(async () => {
  mirror = await startNodeMirror(["24.11.1"]);
});
afterAll(async () => mirror?.close());

const lock = readFileSync(new URL("../testdata/start-tool/package-lock.json", import.meta.url), "utf8");
const app = (scripts: Record<string, string>) => ({
  "package.json": JSON.stringify({
    name: "start-tool",
    version: "1.0.0",
    private: true,
    scripts,
    dependencies: { debug: "4.4.3" },
    devDependencies: { which: "2.0.2" },
  }),
  "package-lock.json": lock,
  "server.js": "require('debug');\n",
});
const build = (scripts: Record<string, string>) =>
  runBuild(bp, { app: app(scripts), buildpackToml: mirror.buildpackToml, env: mirror.env });
const launched = (r: Awaited<ReturnType<typeof build>>, pkg: string) =>
  existsSync(join(r.layer("launch_modules").path, "node_modules", pkg, "package.json"));

test("start runs a dev dependency's bin, start:prod does not: the image starts start:prod, pruned, and says why", async () => {
  // No build script: the tree is still installed whole, so the prune step can read which bin is whose.
  const r = await build({ start: "node-which node && node server.js", "start:prod": "node server.js" });
  const out = r.stdout.join("\n");
  expect(out).toContain("Running npm ci\n");
  expect(out).toContain("Running npm prune --omit=dev");
  expect(out).toMatch(
    /npm run start:prod \(from package\.json scripts\.start:prod, since scripts\.start runs node-which, from which, a devDependency the prune removes\)/,
  );
  expect(r.processes[0]?.command).toEqual(["npm", "run", "start:prod"]);
  expect(launched(r, "debug")).toBe(true);
  expect(launched(r, "which")).toBe(false);
}, 600_000);

test("with no production script, the dev dependencies stay in the image, in one line saying why", async () => {
  const r = await build({ build: "node-which node", start: "node-which node && node server.js" });
  const out = r.stdout.join("\n");
  expect(out).not.toContain("npm prune");
  expect(out).toMatch(/Keeping dev dependencies: scripts\.start runs node-which, which only which \(a devDependency\)/);
  expect(r.processes[0]?.command).toEqual(["npm", "start"]);
  expect(launched(r, "which")).toBe(true);
  expect(launched(r, "isexe")).toBe(true);
  expect(existsSync(join(r.layer("launch_modules").path, "node_modules", ".bin", "node-which"))).toBe(true);
}, 600_000);

test("a start command that nothing provides fails the build in one line", async () => {
  await expect(build({ start: "nest start" })).rejects.toThrow(
    /^package\.json scripts\.start: "nest start" runs nest, which is not in node_modules\/\.bin or on PATH in the image$/,
  );
}, 600_000);
