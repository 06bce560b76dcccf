import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBuild, runDetect } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import bp from "./index.js";
import { type NodeMirror, startNodeMirror } from "./testing/mirror.js";

// Shim Node tarballs (bin/node runs this machine's Node) served from 127.0.0.1, with an
// inventory whose sha256s the mirror computes. npm, yarn and pnpm installs are real and use
// the npm registry.
let mirror: NodeMirror;
const fixture = (name: string) => readFileSync(new URL(`../testdata/lockfiles/${name}`, import.meta.url), "utf8");

beforeAll(async () => {
  mirror = await startNodeMirror(["22.20.0", "22.21.0", "24.10.0", "24.11.1"]);
});
afterAll(async () => mirror?.close());

const opts = (app: Record<string, string> | string, extra: { platformEnv?: Record<string, string> } = {}) => ({
  app,
  buildpackToml: mirror.buildpackToml,
  env: mirror.env,
  ...extra,
});
const text = (lines: string[]) => lines.join("\n");
const depsPkg = fixture("package.json");

/** An app whose build script needs its dev dependency (ms) and writes built.txt. */
const scriptLock = {
  name: "app",
  version: "1.0.0",
  lockfileVersion: 3,
  requires: true,
  packages: {
    "": { name: "app", version: "1.0.0", devDependencies: { ms: "2.1.3" } },
    "node_modules/ms": {
      version: "2.1.3",
      resolved: "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
      integrity: "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==",
      dev: true,
      license: "MIT",
    },
  },
};
const scriptPkg = {
  name: "app",
  version: "1.0.0",
  scripts: {
    build: "node -e \"require('fs').writeFileSync('built.txt', String(require('ms')('1m')))\"",
    start: "node x.js",
  },
  devDependencies: { ms: "2.1.3" },
};

describe("detect", () => {
  test("package.json passes, providing and requiring node and node_modules", async () => {
    const r = await runDetect(bp, opts({ "package.json": "{}" }));
    expect(r.passed).toBe(true);
    expect(r.plans[0]?.provides.map((p) => p.name)).toEqual(["node", "node_modules"]);
    expect(r.plans[0]?.requires.map((p) => p.name)).toEqual(["node", "node_modules"]);
  });
  test("package.json also offers the build alone (node_build), for cnbkit/web after it", async () => {
    const r = await runDetect(bp, opts({ "package.json": "{}" }));
    expect(r.plans[1]?.provides.map((p) => p.name)).toEqual(["node", "node_modules", "node_build"]);
  });
  test("a lone server.js passes with node only", async () => {
    const r = await runDetect(bp, opts({ "server.js": "" }));
    expect(r.passed).toBe(true);
    expect(r.plans[0]?.provides.map((p) => p.name)).toEqual(["node"]);
  });
  test("no JavaScript fails with a reason", async () => {
    const r = await runDetect(bp, opts({ "main.py": "print(1)" }));
    expect(r.result).toEqual({ kind: "fail", reason: "no package.json or server.js/index.js/app.js in the app" });
  });
  test("a syntax error in package.json names the file and line", async () => {
    await expect(runDetect(bp, opts({ "package.json": '{\n  "name": "x",\n  "version" "1"\n}' }))).rejects.toThrow(
      /^package.json: invalid JSON at line 3/,
    );
  });
  test("BP_NODE_PROJECT_PATH points detect at a sub-directory", async () => {
    const r = await runDetect(bp, opts({ "api/package.json": "{}" }, { platformEnv: { BP_NODE_PROJECT_PATH: "api" } }));
    expect(r.passed).toBe(true);
  });
});

describe("Node.js version", () => {
  test.each([
    [
      "BP_NODE_VERSION",
      { "server.js": "", ".nvmrc": "24" },
      { BP_NODE_VERSION: "22" },
      "22.21.0",
      'BP_NODE_VERSION: "22"',
    ],
    [
      "engines.node",
      { "package.json": JSON.stringify({ engines: { node: "22.20.x" } }) },
      {},
      "22.20.0",
      'package.json engines.node: "22.20.x"  (BP_NODE_VERSION unset)',
    ],
    ["nvmrc lts/jod", { "server.js": "", ".nvmrc": "lts/jod\n" }, {}, "22.21.0", '.nvmrc: "lts/jod" → "22.x"'],
    [".node-version", { "server.js": "", ".node-version": "v24.10.0" }, {}, "24.10.0", '.node-version: "v24.10.0"'],
    ["default", { "server.js": "" }, {}, "24.11.1", 'using the default "24.x"'],
  ])("from %s", async (_name, app, platformEnv, version, logLine) => {
    const r = await runBuild(bp, opts(app, { platformEnv }));
    const out = text(r.stdout);
    expect(out).toContain(logLine);
    expect(out).toContain(`Selected Node.js ${version}`);
    expect(r.layer("node").toml?.metadata?.["cache-key"]).toMatchObject({ version, arch: "amd64" });
    // The key earlier builds stored (no id): a different one would drop every cached and exported Node.js.
    expect(Object.keys(r.layer("node").toml?.metadata?.["cache-key"] ?? {})).toEqual([
      "version",
      "sha256",
      "arch",
      "nodeEnv",
    ]);
  });

  test("an engines range no inventory version satisfies is one clear error", async () => {
    await expect(runBuild(bp, opts({ "package.json": JSON.stringify({ engines: { node: ">=99" } }) }))).rejects.toThrow(
      'package.json: engines.node ">=99" matches no Node.js version in the inventory for linux/amd64 (newest: 24.11.1)',
    );
    // The hint says what to change, not only what there is.
    await expect(
      runBuild(bp, opts({ "package.json": JSON.stringify({ engines: { node: "18.x" } }) })),
    ).rejects.toMatchObject({
      hint: expect.stringContaining(
        "Change engines.node in package.json to one of 24.x, 22.x, or build with BP_NODE_VERSION=24.",
      ),
    });
    await expect(
      runBuild(bp, opts({ "server.js": "" }, { platformEnv: { BP_NODE_VERSION: "18" } })),
    ).rejects.toMatchObject({ hint: expect.stringMatching(/Set BP_NODE_VERSION to one of 24, 22\.$/) });
  });
});

describe("a lone server.js", () => {
  test("gets Node, launch env, the web process and an SBOM for Node", async () => {
    const r = await runBuild(bp, opts({ "server.js": "console.log(1)" }));
    expect(r.processes).toEqual([{ type: "web", command: ["node", "server.js"], default: true }]);
    const env = r.launchEnv("web");
    expect(env.NODE_ENV).toBe("production");
    expect(env.NODE_HOME).toBe(r.layer("node").path);
    // Launch-only: nothing runs Node at build time after this buildpack (see the rebuild tests).
    expect(r.layer("node").toml?.types).toEqual({ build: false, launch: true, cache: false });
    expect(existsSync(join(r.layer("node").path, "bin", "node"))).toBe(true);
    expect(r.layer("node_exec_d").files).toEqual(["exec.d/node-memory"]);
    expect(statSync(join(r.layer("node_exec_d").path, "exec.d", "node-memory")).size).toBeLessThan(4096);
    const cdx = r.sbom("node", "cdx") as { components: { purl: string; cpe?: string }[] };
    expect(cdx.components[0]?.purl).toMatch(/^pkg:generic\/node@24\.11\.1\?checksum=[0-9a-f]{64}/);
    expect(cdx.components[0]?.cpe).toBe("cpe:2.3:a:nodejs:node.js:24.11.1:*:*:*:*:*:*:*");
  });
  test("a rebuild reuses the Node layer from the previous image: no files restored, none written", async () => {
    const first = await runBuild(bp, opts({ "server.js": "" }));
    const second = await runBuild(bp, { ...opts(first.app), restore: first.layers });
    expect(second.layer("node").state.kind).toBe("restored");
    expect(second.layer("node").reusedFromImage).toBe(true);
    expect(existsSync(second.layer("node").path)).toBe(false);
    expect(text(second.stdout)).not.toContain("Installing Node.js");
  });

  test("a start script that runs node passes the start check on a rebuild that reuses the node layer (node is then not on the build's PATH)", async () => {
    const pkg = JSON.stringify({ name: "a", version: "1.0.0", scripts: { start: "node server.js" } });
    const first = await runBuild(bp, opts({ "package.json": pkg, "server.js": "" }));
    // As in a build container: no node on the PATH but the node layer's, which is not restored.
    const env = { ...mirror.env, PATH: "/usr/local/sbin:/usr/sbin:/sbin" };
    const second = await runBuild(bp, { ...opts(first.app), env, restore: first.layers });
    expect(second.layer("node").reusedFromImage).toBe(true);
    expect(second.processes).toEqual([{ type: "web", command: ["npm", "start"], default: true }]);
  });

  test("a later buildpack asking for node at build time gets a cached build layer", async () => {
    const plan = [
      { name: "node", metadata: { launch: true } },
      { name: "node", metadata: { build: true } },
    ];
    const r = await runBuild(bp, { ...opts({ "server.js": "" }), plan });
    expect(r.layer("node").toml?.types).toEqual({ build: true, launch: true, cache: true });
    expect(r.buildEnv().PATH?.split(":")[0]).toBe(join(r.layer("node").path, "bin"));
  });
});

describe("npm", () => {
  const app = { "package.json": depsPkg, "package-lock.json": fixture("package-lock.v3.json"), "index.js": "" };

  test("npm ci installs production deps; a rebuild installs nothing; a lockfile change resets", async () => {
    const first = await runBuild(bp, opts(app));
    const out = text(first.stdout);
    expect(out).toContain("Running npm ci --omit=dev");
    const mods = first.layer("launch_modules");
    expect(mods.toml?.types).toEqual({ build: false, launch: true, cache: false });
    expect(mods.files).toContain("node_modules/debug/package.json");
    expect(readlinkSync(join(first.app, "node_modules"))).toBe(join(mods.path, "node_modules"));
    expect(first.processes).toEqual([{ type: "web", command: ["node", "index.js"], default: true }]);
    const cdx = r2purls(first.sbom("launch_modules", "cdx"));
    expect(cdx).toEqual(["pkg:npm/%40types/ms@0.7.34", "pkg:npm/debug@4.3.7", "pkg:npm/ms@2.1.3"]);

    const second = await runBuild(bp, { ...opts(first.app), restore: first.layers });
    expect(second.layer("launch_modules").state.kind).toBe("restored");
    expect(text(second.stdout)).toContain("Nothing to install");
    expect(text(second.stdout)).not.toContain("Running npm ci");
    // A no-op rebuild runs no Node at all: npm's version comes from the node layer's TOML.
    expect(second.layer("node").reusedFromImage).toBe(true);
    expect(second.layer("launch_modules").reusedFromImage).toBe(true);
    expect(text(second.stdout)).toMatch(/Using npm \d+\.\d+\.\d+/);

    const changed = await runBuild(bp, {
      ...opts({ ...app, "package-lock.json": `${fixture("package-lock.v3.json")}\n` }),
      restore: second.layers,
    });
    const state = changed.layer("launch_modules").state;
    expect(state.kind).toBe("reset");
    expect(state.kind === "reset" && state.reason).toMatch(/^lockfile /);
    // npm must run, so the reused runtime is installed again first, from the cached download.
    expect(text(changed.stdout)).toContain("Rebuilding node: its files are needed in this build");
    expect(text(changed.stdout)).toMatch(/Reusing cached download of node 24\.\d+\.\d+/);
    expect(changed.layer("node_dist").toml?.types).toEqual({ build: false, launch: false, cache: true });
    expect(changed.layer("node").toml?.types).toEqual({ build: true, launch: true, cache: false });
    expect(changed.layer("launch_modules").files).toContain("node_modules/debug/package.json");
  });

  test("a multi-platform build: the emulated platform reuses the native build's pure-JS node_modules, without npm", async () => {
    const store = mkdtempSync(join(tmpdir(), "cnbkit-node-neutral-"));
    onTestFinished(() => rmSync(store, { recursive: true, force: true }));
    const native = await runBuild(bp, { ...opts(app), archNeutral: { dir: store, role: "produce" } });
    expect(text(native.stdout)).toContain("Shared launch_modules with the other platforms' builds");
    const emulated = await runBuild(bp, { ...opts(app), archNeutral: { dir: store, role: "reuse" } });
    expect(text(emulated.stdout)).toMatch(/Reusing launch_modules from the \w+ build \(arch-neutral, key unchanged\)/);
    expect(text(emulated.stdout)).not.toContain("Running npm ci");
    expect(emulated.layer("launch_modules").files).toEqual(native.layer("launch_modules").files);
    expect(readlinkSync(join(emulated.app, "node_modules"))).toBe(
      join(emulated.layer("launch_modules").path, "node_modules"),
    );
  });

  test("a lockfile out of sync with package.json fails with npm's reason in one line", async () => {
    const pkg = JSON.parse(depsPkg);
    pkg.dependencies["left-pad"] = "1.3.0";
    const err = await runBuild(bp, opts({ ...app, "package.json": JSON.stringify(pkg) })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    expect(message).toMatch(/^package-lock.json: "npm ci --omit=dev" failed \(exit 1\): .*in sync/);
    expect((err as { hint?: string }).hint).toMatch(/run "npm install" and commit package-lock.json/);
  });

  test("build scripts run with dev deps; launch gets them pruned; npm start is the web process", async () => {
    const r = await runBuild(
      bp,
      opts({ "package.json": JSON.stringify(scriptPkg), "package-lock.json": JSON.stringify(scriptLock) }),
    );
    expect(readFileSync(join(r.app, "built.txt"), "utf8")).toBe("60000");
    expect(r.layer("build_modules").files).toContain("node_modules/ms/package.json");
    expect(r.layer("build_modules").toml?.types).toEqual({ build: true, launch: false, cache: true });
    expect(r.layer("launch_modules").files.some((f) => f.startsWith("node_modules/ms/"))).toBe(false);
    expect(r.layer("launch_modules").toml?.types).toEqual({ build: false, launch: true, cache: false });
    // Build scripts run on every build, so Node is a cached build layer here.
    expect(r.layer("node").toml?.types).toEqual({ build: true, launch: true, cache: true });
    expect(readlinkSync(join(r.app, "node_modules"))).toBe(join(r.layer("launch_modules").path, "node_modules"));
    expect(r.processes).toEqual([{ type: "web", command: ["npm", "start"], default: true }]);

    const kept = await runBuild(
      bp,
      opts(
        { "package.json": JSON.stringify(scriptPkg), "package-lock.json": JSON.stringify(scriptLock) },
        { platformEnv: { BP_NODE_PRUNE_DEV_DEPENDENCIES: "false" } },
      ),
    );
    expect(kept.layer("launch_modules").files).toContain("node_modules/ms/package.json");
    expect(() => kept.layer("build_modules")).toThrow();
  });

  test("a multi-platform build: the emulated platform replays the native build scripts' output, running no script", async () => {
    const store = mkdtempSync(join(tmpdir(), "cnbkit-node-neutral-"));
    onTestFinished(() => rmSync(store, { recursive: true, force: true }));
    const files = { "package.json": JSON.stringify(scriptPkg), "package-lock.json": JSON.stringify(scriptLock) };
    const native = await runBuild(bp, { ...opts(files), archNeutral: { dir: store, role: "produce" } });
    expect(text(native.stdout)).toContain("Shared build_output with the other platforms' builds");
    const emulated = await runBuild(bp, { ...opts(files), archNeutral: { dir: store, role: "reuse" } });
    const out = text(emulated.stdout);
    expect(out).toMatch(/Reusing build_output from the \w+ build \(arch-neutral, key unchanged\)/);
    expect(out).not.toContain("Running npm run build");
    expect(readFileSync(join(emulated.app, "built.txt"), "utf8")).toBe("60000");
    // The prune still runs on the reused dev tree: launch gets what a full build gives.
    expect(emulated.layer("launch_modules").files).toEqual(native.layer("launch_modules").files);
    expect(emulated.processes).toEqual(native.processes);
  });

  test("NODE_ENV=development at build keeps dev dependencies and is the launch default", async () => {
    const r = await runBuild(bp, opts(app, { platformEnv: { NODE_ENV: "development" } }));
    const out = text(r.stdout);
    expect(out).toContain("Keeping dev dependencies: NODE_ENV=development at build time");
    expect(out).toContain("Running npm ci\n");
    expect(r.layer("launch_modules").files).toContain("node_modules/ms/package.json");
    expect(r.launchEnv("web").NODE_ENV).toBe("development");
  });

  test("the start command is chosen after the build scripts: a server.js the build writes is started", async () => {
    const pkg = {
      name: "ts",
      version: "1.0.0",
      scripts: { build: "node -e \"require('fs').writeFileSync('server.js','')\"" },
    };
    const r = await runBuild(bp, opts({ "package.json": JSON.stringify(pkg) }));
    expect(r.processes).toEqual([{ type: "web", command: ["node", "server.js"], default: true }]);
  });

  test("an app with no dependencies installs nothing and is not told to commit a lockfile", async () => {
    const r = await runBuild(
      bp,
      opts({ "package.json": '{"name":"bare","scripts":{"start":"node s.js"}}', Procfile: "" }),
    );
    const out = text(r.stdout);
    expect(out).not.toMatch(/No lockfile|Running npm/);
    expect(r.processes).toEqual([{ type: "web", command: ["npm", "start"], default: true }]);
  });

  test("with nothing to infer and no Procfile, a warning that leaves room for a later buildpack's process", async () => {
    const r = await runBuild(bp, opts({ "package.json": '{"name":"frontend","scripts":{"build":"true"}}' }));
    expect(text(r.stdout)).toContain(
      'No Node.js start command (no "start" script, "main", server.js or index.js, and no framework server output such as build/index.js or .output/server/index.mjs): add a "start" script or a Procfile, unless a later buildpack sets the process',
    );
    expect(r.processes).toEqual([]);
  });

  test("with no start script, the server an Astro build wrote is started, with HOST for the web process", async () => {
    // @astrojs/node from a local directory: the rule reads package.json and the built file.
    const pkg = {
      name: "astro-like",
      version: "1.0.0",
      scripts: { build: "mkdir -p dist/server && echo > dist/server/entry.mjs" },
      dependencies: { "@astrojs/node": "file:astro-node" },
    };
    const r = await runBuild(
      bp,
      opts({
        "package.json": JSON.stringify(pkg),
        "astro-node/package.json": '{"name":"@astrojs/node","version":"0.0.0"}',
      }),
    );
    expect(text(r.stdout)).toContain(
      "node dist/server/entry.mjs (Astro's @astrojs/node standalone output; package.json has no start script)",
    );
    expect(r.processes).toEqual([{ type: "web", command: ["node", "dist/server/entry.mjs"], default: true }]);
    expect(r.launchEnv("web").HOST).toBe("0.0.0.0");
  });

  test("npm 11's allowScripts list comes back as one note naming the package and the fix, no warning", async () => {
    // This machine's npm (11.19) ran dep's postinstall and listed it as not covered by allowScripts.
    const pkg = { name: "scripts", version: "1.0.0", dependencies: { dep: "file:dep" } };
    const r = await runBuild(
      bp,
      opts({
        "package.json": JSON.stringify(pkg),
        "dep/package.json": '{"name":"dep","version":"1.0.0","scripts":{"postinstall":"node -e 0"}}',
        Procfile: "web: node x.js\n",
      }),
    );
    const out = text(r.stdout);
    expect(out).toContain(
      '    npm 12 will skip the install scripts of 1 dependency that package.json "allowScripts" does not approve: dep@1.0.0 (postinstall)\n',
    );
    expect(out).toContain('run "npm approve-scripts dep" (npm 11.16 or later) and commit package.json');
    expect(out).not.toMatch(/Warning: npm/);
  });

  test("a dependency whose C does not compile under npm: the error names it and why, not npm's `path` line", async () => {
    // broken's install script runs this machine's C compiler on C it rejects.
    const pkg = { name: "addon-app", version: "1.0.0", dependencies: { broken: "file:broken" } };
    const err = await runBuild(
      bp,
      opts({
        "package.json": JSON.stringify(pkg),
        "broken/package.json": '{"name":"broken","version":"1.0.0","scripts":{"install":"cc -c broken.c -o broken.o"}}',
        "broken/broken.c": "int answer(void) { return undeclared_value; }\n",
        Procfile: "web: node x.js\n",
      }),
    ).catch((e: Error & { stdout?: string[] }) => e);
    expect((err as Error).message).toBe(
      "package.json: broken could not be built: its C/C++ sources do not compile against Node.js 24.11.1",
    );
    expect((err as { hint?: string }).hint).toMatch(/^Pick a Node\.js version broken supports/);
  });

  test("a build script that cannot import sharp fails with one line saying sharp is not installed", async () => {
    const pkg = { name: "needs-sharp", version: "1.0.0", scripts: { build: "node build.mjs" } };
    const err = await runBuild(
      bp,
      opts({
        "package.json": JSON.stringify(pkg),
        "build.mjs": 'await import("sharp");\n',
        Procfile: "web: node x.js\n",
      }),
    ).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      "package.json scripts.build failed (exit 1): sharp is not installed, and the build imports it",
    );
    expect((err as { hint?: string }).hint).toMatch(/^Add "sharp" to dependencies/);
  });

  test("Yarn 4.14+ skipping a dependency's build scripts (exit 0) is one warning naming it, with the fix", async () => {
    // yarn.lock by Yarn 4.18.1, whose enableScripts is off by default: dep's postinstall is skipped.
    const yarnLock =
      '# This file is generated by running "yarn install" inside your project.\n# Manual changes might be lost - proceed with caution!\n\n__metadata:\n  version: 10\n  cacheKey: 10c0\n\n"dep@file:./dep::locator=yarn-skips%40workspace%3A.":\n  version: 1.0.0\n  resolution: "dep@file:./dep#./dep::hash=510b7c&locator=yarn-skips%40workspace%3A."\n  checksum: 10c0/bb07a2a45c36ccad9417603e1e472539b3a337c33e872d4079cbaa1633dcce9548f4e6e14ea299f7c97b5ae45d6dfdda166e261809b4948a70ffd54dd5b709da\n  languageName: node\n  linkType: hard\n\n"yarn-skips@workspace:.":\n  version: 0.0.0-use.local\n  resolution: "yarn-skips@workspace:."\n  dependencies:\n    dep: "file:./dep"\n  languageName: unknown\n  linkType: soft\n';
    const pkg = {
      name: "yarn-skips",
      version: "1.0.0",
      private: true,
      packageManager: "yarn@4.18.1",
      dependencies: { dep: "file:./dep" },
    };
    const r = await runBuild(
      bp,
      opts({
        "package.json": JSON.stringify(pkg),
        "yarn.lock": yarnLock,
        ".yarnrc.yml": "nodeLinker: node-modules\n",
        "dep/package.json": '{"name":"dep","version":"1.0.0","scripts":{"postinstall":"node -e 0"}}\n',
        Procfile: "web: node x.js\n",
      }),
    );
    const out = text(r.stdout);
    expect(out).toContain(
      "Warning: Yarn skipped the build scripts of 1 dependency, as its enableScripts is off: dep@file:./dep",
    );
    expect(out).toContain('add "dependenciesMeta": {"dep":{"built":true}} to package.json');
  });

  test("with a Procfile and nothing to infer, no start-command warning", async () => {
    const r = await runBuild(bp, opts({ "package.json": "{}", Procfile: "web: node x.js\n" }));
    expect(text(r.stdout)).not.toContain("No Node.js start command");
  });

  test("engines.npm pins npm for the build and for the launched `npm start`", async () => {
    const pkg = { name: "pinned", version: "1.0.0", engines: { npm: "10.8.3" }, scripts: { start: "node s.js" } };
    const lock = { name: "pinned", version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": pkg } };
    const r = await runBuild(
      bp,
      opts({ "package.json": JSON.stringify(pkg), "package-lock.json": JSON.stringify(lock) }),
    );
    expect(text(r.stdout)).toContain("Using npm 10.8.3");
    expect(r.layer("package_manager").toml?.types).toEqual({ build: true, launch: true, cache: true });
    expect(r.processes).toEqual([{ type: "web", command: ["npm", "start"], default: true }]);
  });

  test("a Bun project is refused in one line that says what to do", async () => {
    const err = await runBuild(bp, opts({ "package.json": depsPkg, "bun.lock": "{}" })).catch((e: Error) => e);
    expect((err as Error).message).toBe("bun.lock: Bun projects are not supported by cnbkit/nodejs");
    expect((err as { hint?: string }).hint).toMatch(/Commit a lockfile of npm, yarn or pnpm/);
  });

  test("a Bun workspace root beside a uv workspace (full-stack-fastapi-template) names the Python member", async () => {
    const app = {
      "package.json": JSON.stringify({ name: "root", private: true, workspaces: ["frontend", "packages/*"] }),
      "bun.lock": "{}",
      "frontend/package.json": depsPkg,
      "pyproject.toml": '[tool.uv.workspace]\nmembers = ["backend"]\n',
      "uv.lock": "version = 1\n",
    };
    const err = await runBuild(bp, opts(app)).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      "bun.lock: Bun projects are not supported by cnbkit/nodejs, and this root is a uv workspace whose app is backend",
    );
    expect((err as { hint?: string }).hint).toMatch(/cnbkit build backend$/);
  });

  test("a failing build script gets no lockfile hint", async () => {
    const pkg = { ...JSON.parse(depsPkg), scripts: { build: "exit 3" } };
    const lock = fixture("package-lock.v3.json");
    const err = await runBuild(bp, opts({ "package.json": JSON.stringify(pkg), "package-lock.json": lock })).catch(
      (e: Error) => e,
    );
    expect((err as Error).message).toMatch(/^package.json scripts.build: "npm run build" failed \(exit 3\)/);
    expect((err as { hint?: string }).hint).toBeUndefined();
  });

  test("workspaces install at the root when BP_NODE_PROJECT_PATH is a member", async () => {
    const lock = {
      name: "mono",
      lockfileVersion: 3,
      requires: true,
      packages: {
        "": { name: "mono", workspaces: ["packages/*"] },
        "node_modules/web": { resolved: "packages/web", link: true },
        "packages/web": { name: "web", version: "1.0.0" },
      },
    };
    const r = await runBuild(
      bp,
      opts(
        {
          "package.json": JSON.stringify({ name: "mono", private: true, workspaces: ["packages/*"] }),
          "package-lock.json": JSON.stringify(lock),
          "packages/web/package.json": JSON.stringify({
            name: "web",
            version: "1.0.0",
            scripts: { start: "node s.js" },
          }),
        },
        { platformEnv: { BP_NODE_PROJECT_PATH: "packages/web" } },
      ),
    );
    expect(readlinkSync(join(r.app, "node_modules"))).toBe(join(r.layer("launch_modules").path, "node_modules"));
    expect(r.layer("launch_modules").files).toContain("node_modules/web");
    expect(r.processes).toEqual([
      { type: "web", command: ["npm", "start"], default: true, workingDir: join(r.app, "packages/web") },
    ]);
  });
});

describe("yarn and pnpm", () => {
  test.each([
    ["yarn classic", "yarn.lock", "yarn.v1.lock", "yarn install --frozen-lockfile --production=true", "yarn@1"],
    ["yarn berry", "yarn.lock", "yarn.berry.lock", "yarn install --immutable", "@yarnpkg/cli-dist@4.5.0"],
    ["pnpm", "pnpm-lock.yaml", "pnpm-lock.v9.yaml", "pnpm install --frozen-lockfile --prod", "pnpm@9"],
  ])("%s installs from %s and lists the lockfile in the SBOM", async (_n, lockName, fixtureName, command, tool) => {
    const pkg = JSON.parse(depsPkg);
    pkg.scripts = { start: "node index.js" };
    // The berry fixture was written by yarn 4.5.0; pin it as corepack's packageManager field would.
    if (tool.includes("cli-dist")) pkg.packageManager = "yarn@4.5.0";
    const r = await runBuild(bp, opts({ "package.json": JSON.stringify(pkg), [lockName]: fixture(fixtureName) }));
    const out = text(r.stdout);
    expect(out).toContain(`Installing ${tool}`);
    expect(out).toContain(`Running ${command}`);
    // pnpm links packages from node_modules/.pnpm, so debug may be a symlink.
    expect(r.layer("launch_modules").files.some((f) => /^node_modules\/debug(\/package\.json)?$/.test(f))).toBe(true);
    expect(r.layer("package_manager").toml?.types).toEqual({ build: true, launch: true, cache: true });
    expect(r.processes[0]?.command).toEqual([tool.startsWith("pnpm") ? "pnpm" : "yarn", "start"]);
    expect(r2purls(r.sbom("launch_modules", "cdx"))).toContain("pkg:npm/%40types/ms@0.7.34");
    // The launched yarn reads the install with the linker it was made with (yarn's own default is PnP).
    expect(r.launchEnv("web").YARN_NODE_LINKER).toBe(tool.includes("cli-dist") ? "node-modules" : undefined);
  });
});

function r2purls(doc: unknown): string[] {
  return ((doc as { components: { purl: string }[] }).components ?? []).map((c) => c.purl).sort();
}

describe("build only (cnbkit/web serves the output)", () => {
  test("node and node_modules are build layers, the build runs, and there is no start command", async () => {
    const pkg = {
      name: "spa",
      version: "1.0.0",
      // A dev server's start script, which a build for cnbkit/web neither runs nor checks.
      scripts: {
        build: "node -e \"fs.mkdirSync('dist');fs.writeFileSync('dist/index.html','<p>hi')\"",
        start: "vite",
      },
    };
    const plan = [
      { name: "node", metadata: { launch: true } },
      { name: "node_modules", metadata: { launch: true } },
      { name: "node_build", metadata: {} },
    ];
    const r = await runBuild(bp, { ...opts({ "package.json": JSON.stringify(pkg) }), plan });
    expect(readFileSync(join(r.app, "dist/index.html"), "utf8")).toBe("<p>hi");
    expect(r.layer("node").toml?.types).toMatchObject({ build: true, launch: false });
    expect(r.processes).toEqual([]);
    expect(text(r.stdout)).toContain("None: a later buildpack (cnbkit/web) serves what the build wrote");
  }, 120_000);
});
