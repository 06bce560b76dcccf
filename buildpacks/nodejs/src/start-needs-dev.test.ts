import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
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

test("with no production script, the devDependency the start runs stays through the prune, with what it needs, in one line saying why", async () => {
  const r = await build({ build: "node-which node", start: "node-which node && node server.js" });
  const out = r.stdout.join("\n");
  expect(out).toContain("Running npm prune --omit=dev");
  expect(out).toMatch(
    /Keeping which: scripts\.start runs node-which, which only which \(a devDependency\) provides: kept through the prune/,
  );
  expect(r.processes[0]?.command).toEqual(["npm", "start"]);
  expect(launched(r, "which")).toBe(true);
  expect(launched(r, "isexe")).toBe(true);
  expect(existsSync(join(r.layer("launch_modules").path, "node_modules", ".bin", "node-which"))).toBe(true);
}, 600_000);

// An outside Express app (pm2 in dependencies, start "pm2 start ...") built cold, then warm:
// the warm build reuses launch_modules from the previous image, so its files are not on disk
// and the start check found no bin and failed the build the cold one had passed.
test("a rebuild that reuses launch_modules from the previous image passes the start check", async () => {
  const first = await build({ build: "node-which node", start: "node-which node && node server.js" });
  const opts = { app: first.app, buildpackToml: mirror.buildpackToml, env: mirror.env, restore: first.layers };
  const second = await runBuild(bp, opts);
  expect(second.layer("launch_modules").reusedFromImage).toBe(true);
  expect(second.processes[0]?.command).toEqual(["npm", "start"]);
}, 600_000);

// NestJS's starters and others: no "start", a "start:prod". Before: "add a start script".
test("no start script: start:prod starts the app, with a line saying so", async () => {
  const r = await build({ "start:prod": "node server.js", "start:dev": "node-which node" });
  expect(r.processes[0]?.command).toEqual(["npm", "run", "start:prod"]);
  expect(r.stdout.join("\n")).toContain(
    'npm run start:prod (from package.json scripts.start:prod, as package.json has no "start" script)',
  );
  expect(launched(r, "which")).toBe(false);
}, 600_000);

test("a start command that nothing provides fails the build in one line", async () => {
  await expect(build({ start: "nest start" })).rejects.toThrow(
    /^package\.json scripts\.start: "nest start" runs nest, which is not in node_modules\/\.bin or on PATH in the image$/,
  );
}, 600_000);

// An outside Next.js 15 app with next.config.ts: at `next start` Next.js loads its config with
// typescript, which the prune had removed, so it tried to install it over the network and the
// app exited. testdata/next-config-ts stands in for Next.js with a packed "next" whose start
// does just that load (a real Next.js install is ~100 MB); typescript and which come from npm.
test("Next.js with next.config.ts: typescript stays after the prune, the other devDependencies go", async () => {
  const dir = new URL("../testdata/next-config-ts/", import.meta.url).pathname;
  const files = Object.fromEntries(
    ["package.json", "package-lock.json"].map((f) => [f, readFileSync(join(dir, f), "utf8")]),
  );
  const app = await mkdtemp(join(tmpdir(), "cnbkit-next-config-ts-"));
  try {
    for (const [f, text] of Object.entries({ ...files, "next.config.ts": "export default {};\n" })) {
      await writeFile(join(app, f), text);
    }
    await mkdir(join(app, "vendor"));
    await copyFile(join(dir, "vendor/next-15.5.0.tgz"), join(app, "vendor/next-15.5.0.tgz"));
    const r = await runBuild(bp, { app, buildpackToml: mirror.buildpackToml, env: mirror.env });
    const out = r.stdout.join("\n");
    expect(out).toContain("Running npm prune --omit=dev");
    expect(out).toContain(
      "Keeping typescript: next start loads next.config.ts with typescript, a devDependency: kept through the prune",
    );
    // A Next.js app keeps node_modules in the app dir (modules-location.ts).
    const modules = join(r.app, "node_modules");
    expect(existsSync(join(modules, "typescript", "package.json"))).toBe(true);
    expect(existsSync(join(modules, ".bin", "tsc"))).toBe(true);
    expect(existsSync(join(modules, "which"))).toBe(false);
    const start = spawnSync(process.execPath, [join(modules, "next", "cli.js"), "start"], {
      cwd: r.app,
      encoding: "utf8",
      env: { ...process.env, NODE_PATH: modules },
    });
    expect(start.stdout.trim(), start.stderr).toBe("next.config.ts loaded with typescript 5.9.3");
  } finally {
    await rm(app, { recursive: true, force: true });
  }
}, 600_000);
