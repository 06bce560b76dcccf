import { execFileSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type BuildRun, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import bp from "./index.js";
import { YARN_HOME_PREFIX } from "./registry-config.js";
import { type NodeMirror, startNodeMirror } from "./testing/mirror.js";
import { PRIVATE_PACKAGE, PRIVATE_SCOPE, type PrivateRegistry, startPrivateRegistry } from "./testing/registry.js";

// Real npm, pnpm, yarn 1 and yarn 4 installs against a registry on 127.0.0.1 that serves
// @cnbkit-private/greet only with the token. Only the binding says where that registry is
// and what the token is, so an install that succeeds read the binding.
const TOKEN = "tok-5e3c7a9d1f";
let mirror: NodeMirror;
let registry: PrivateRegistry;

beforeAll(async () => {
  mirror = await startNodeMirror(["24.11.1"]);
  registry = await startPrivateRegistry(TOKEN);
});
afterAll(async () => {
  await mirror?.close();
  await registry?.close();
});

const app = (extra: Record<string, unknown> = {}, files: Record<string, string> = {}) => ({
  "package.json": JSON.stringify({
    name: "private-deps",
    version: "1.0.0",
    private: true,
    scripts: { start: "node index.js" },
    dependencies: { [PRIVATE_PACKAGE]: "1.0.0" },
    ...extra,
  }),
  "index.js": `console.log(require("${PRIVATE_PACKAGE}").greet("app"));\n`,
  ...files,
});

type Bindings = NonNullable<Parameters<typeof runBuild>[1]>["bindings"];
const build = (files: Record<string, string>, bindings: Bindings) =>
  runBuild(bp, { app: files, buildpackToml: mirror.buildpackToml, env: mirror.env, bindings });

/** Requests for the private package this test caused, all of which carried the token. */
async function expectAuthorizedFetch<T>(run: () => Promise<T>): Promise<T> {
  const from = registry.requests.length;
  const result = await run();
  const seen = registry.requests.slice(from).filter((r) => r.path.startsWith(`/${PRIVATE_SCOPE}/`));
  expect(seen.map((r) => [r.path, r.status, r.authorized])).toEqual(
    expect.arrayContaining([
      [`/${PRIVATE_PACKAGE}`, 200, true],
      [`/${PRIVATE_PACKAGE}/-/greet-1.0.0.tgz`, 200, true],
    ]),
  );
  return result;
}

/** Every file and link target under `dir` (layers, their TOML, env dirs and SBOMs). */
function everything(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    const st = lstatSync(path);
    if (st.isSymbolicLink()) out.push({ path, text: readlinkSync(path) });
    else if (st.isFile()) out.push({ path, text: readFileSync(path, "latin1") });
  }
  return out;
}

/** The app runs with what was installed, and no layer file, link or env holds the token or the binding's path. */
function expectRunsWithoutTrace(r: BuildRun): void {
  expect(execFileSync(process.execPath, ["index.js"], { cwd: r.app, encoding: "utf8" })).toBe(
    "hello app from a private registry\n",
  );
  const bindingsDir = join(dirname(r.app), "platform", "bindings");
  const files = everything(r.layers);
  expect(files.length).toBeGreaterThan(10);
  const leaks = files.filter((f) => f.text.includes(TOKEN) || f.text.includes(bindingsDir)).map((f) => f.path);
  expect(leaks).toEqual([]);
  for (const env of [r.launchEnv("web"), r.buildEnv()]) {
    const text = JSON.stringify(env);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(bindingsDir);
    expect(Object.keys(env).filter((k) => /USERCONFIG|YARN_RC/i.test(k))).toEqual([]);
    expect(env.HOME ?? "").not.toContain(YARN_HOME_PREFIX);
  }
}

describe("npmrc binding", () => {
  test("npm installs from the registry the binding names; no trace of it in the layers or env", async () => {
    const npmrc = `registry=${registry.url}\n//${registry.host}/:_authToken=${TOKEN}\n`;
    const r = await expectAuthorizedFetch(() =>
      build(app(), {
        private: { type: "npmrc", entries: { ".npmrc": npmrc } },
        unused: { type: "yarnrc", entries: { ".yarnrc": 'registry "http://127.0.0.1:9/"\n' } },
      }),
    );
    const out = r.stdout.join("\n");
    expect(out).toContain('npm config from binding "private" (.npmrc), for this build only');
    expect(out).toContain('Ignoring binding "unused" (type yarnrc): this app installs with npm');
    expect(out).not.toContain(TOKEN);
    expectRunsWithoutTrace(r);
  });

  test("pnpm reads it too (a scoped registry: pnpm itself still comes from the public one)", async () => {
    const npmrc = `${PRIVATE_SCOPE}:registry=${registry.url}\n//${registry.host}/:_authToken=${TOKEN}\n`;
    const r = await expectAuthorizedFetch(() =>
      build(app({ packageManager: "pnpm@9.15.9" }), { npm: { type: "npmrc", entries: { ".npmrc": npmrc } } }),
    );
    expect(r.stdout.join("\n")).toContain("Running pnpm install");
    expectRunsWithoutTrace(r);
  });

  test("a binding without .npmrc is one error naming it and what it has", async () => {
    await expect(build(app(), { reg: { type: "npmrc", entries: { npmrc: "registry=x" } } })).rejects.toThrow(
      'binding "reg" (type npmrc) has no .npmrc file, which npm reads (it has: npmrc)',
    );
  });
});

describe("yarnrc binding", () => {
  test("yarn 1 reads .yarnrc (registry) with .npmrc (token); yarn leaves the binding's file alone", async () => {
    const yarnrc = `"${PRIVATE_SCOPE}:registry" "${registry.url}"\n`;
    const npmrc = `//${registry.host}/:_authToken=${TOKEN}\n`;
    const r = await expectAuthorizedFetch(() =>
      build(app({ packageManager: "yarn@1.22.22" }), {
        yarn: { type: "yarnrc", entries: { ".yarnrc": yarnrc } },
        npm: { type: "npmrc", entries: { ".npmrc": npmrc } },
      }),
    );
    const out = r.stdout.join("\n");
    expect(out).toContain("Running yarn install");
    expect(out).toContain('yarn config from binding "yarn" (.yarnrc), for this build only');
    expect(readFileSync(join(dirname(r.app), "platform", "bindings", "yarn", ".yarnrc"), "utf8")).toBe(yarnrc);
    expectRunsWithoutTrace(r);
  });

  test("yarn 4 reads .yarnrc.yml as its home config, below the app's own .yarnrc.yml; the home goes away", async () => {
    const yml = [
      "npmScopes:",
      `  ${PRIVATE_SCOPE.slice(1)}:`,
      `    npmRegistryServer: "http://${registry.host}"`,
      `    npmAuthToken: "${TOKEN}"`,
      "    npmAlwaysAuth: true",
      'unsafeHttpWhitelist: ["127.0.0.1"]',
      "",
    ].join("\n");
    const homesBefore = readdirSync(tmpdir()).filter((f) => f.startsWith(YARN_HOME_PREFIX));
    // The app's config asks for pnpm-style linking, which only it says: both files are read.
    const files = app(
      { packageManager: "yarn@4.5.0" },
      { ".yarnrc.yml": "nodeLinker: pnpm\nenableTelemetry: false\n" },
    );
    const r = await expectAuthorizedFetch(() =>
      build(files, { rc: { type: "yarnrc", entries: { ".yarnrc.yml": yml } } }),
    );
    const out = r.stdout.join("\n");
    expect(out).toContain("Running yarn install");
    expect(out).toContain('yarn config from binding "rc" (.yarnrc.yml, read as the home config), for this build only');
    // nodeLinker: pnpm keeps packages in node_modules/.store and links them in.
    expect(r.layer("launch_modules").files.some((f) => f.startsWith("node_modules/.store/"))).toBe(true);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith(YARN_HOME_PREFIX))).toEqual(homesBefore);
    expect(everything(r.layers).filter((f) => f.text.includes(YARN_HOME_PREFIX))).toEqual([]);
    expectRunsWithoutTrace(r);
  });

  test("yarn 4 with only yarn 1's .yarnrc in the binding is one error saying which file it reads", async () => {
    await expect(
      build(app({ packageManager: "yarn@4.5.0" }), { rc: { type: "yarnrc", entries: { ".yarnrc": "x" } } }),
    ).rejects.toThrow('binding "rc" (type yarnrc) has no .yarnrc.yml file, which yarn 2+ reads (it has: .yarnrc)');
  });
});
