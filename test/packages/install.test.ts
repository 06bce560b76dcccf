/**
 * The two npm packages as a user outside this repository gets them (issue 15 item 4).
 *
 * `npm pack` makes the tarballs of @cnbkit/framework and @cnbkit/builder-packager (its
 * prepack bundles the CLI with scripts/build-cli.mjs). An empty project in a temp dir
 * installs both, and its `npx cnbkit new` writes each template with the published version
 * ranges, since no checkout is in sight. Nothing is on the npm registry yet, so each new
 * project then installs the same two tarballs (`npm install <framework.tgz> <cli.tgz>`, which
 * points its two dependencies at the tarballs; third-party packages come from the registry)
 * before its own `npm test`, `npm run package` and `npm run typecheck` run. Finally the
 * installed CLI puts the buildpack template's .cnb in a builder after the reference Node.js
 * buildpack, builds a tiny app with the real lifecycle, and the app answers HTTP with what
 * the template's layer gives it.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { withDirLock } from "../../builder-packager/src/cache/index.js";
import { ensureBaseImages } from "../../builder-packager/src/base/images.js";
import { prepareLocalReferenceBuilder } from "../../tools/local-builder/local-node.js";
import { BASE_LAYOUT, E2E_DIR, getFromImage, ROOT } from "../e2e/support.js";

/**
 * This process's environment without what an outer `npm run`/`npx` put there for its own
 * project (npm would take `npm_config_local_prefix` as the project root).
 */
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !/^(npm_package_|npm_lifecycle_|npm_config_local_prefix$|INIT_CWD$)/i.test(k),
  ),
) as NodeJS.ProcessEnv;

/** Runs `cmd args` in `cwd` and returns stdout + stderr without colours; throws with both on failure. */
function run(cwd: string, cmd: string, ...args: string[]): string {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    cwd,
    env: { ...childEnv, NO_COLOR: "1", FORCE_COLOR: "0" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} in ${cwd} exited ${r.status ?? r.signal}:\n${out}`);
  return out;
}

const npm = (cwd: string, ...args: string[]) => run(cwd, "npm", ...args, "--no-audit", "--no-fund");
const cnbkit = (cwd: string, ...args: string[]) => run(cwd, "npx", "--no-install", "cnbkit", ...args);

/** The buildpackage label of a .cnb, read by skopeo. */
function buildpackageLabel(cnb: string): { id: string; version: string } {
  const inspected = JSON.parse(run(ROOT, "skopeo", "inspect", `oci-archive:${cnb}`));
  return JSON.parse(inspected.Labels["io.buildpacks.buildpackage.metadata"]);
}

/** The fields of a package.json this test reads. */
interface PackageJson {
  version: string;
  exports?: unknown;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

function readJson(file: string): PackageJson {
  return JSON.parse(readFileSync(file, "utf8"));
}

let work = "";
let frameworkCopy = "";
let packs = { framework: "", cli: "" };
let host = "";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-packages-"));
  const dest = join(work, "packs");
  await mkdir(dest);
  // The framework's prepack switches its package.json to the published form until postpack;
  // test files running meanwhile would import its dist/ instead of its sources. So it is packed
  // from a copy, inside the repo so that its build finds tsc and the types in node_modules.
  // The CLI's prepack only rewrites builder-packager/dist, as `npm run build` does.
  await mkdir(join(ROOT, ".cnbkit"), { recursive: true });
  frameworkCopy = await mkdtemp(join(ROOT, ".cnbkit", "packages-"));
  await cp(join(ROOT, "framework"), join(frameworkCopy, "framework"), {
    recursive: true,
    filter: (src) => !/\/framework\/(node_modules|dist|\.package\.repo\.json)$/.test(src),
  });
  npm(join(frameworkCopy, "framework"), "pack", "--pack-destination", dest);
  npm(ROOT, "pack", "-w", "builder-packager", "--pack-destination", dest);
  const tarballs = readdirSync(dest).sort();
  expect(tarballs).toEqual(["cnbkit-builder-packager-0.1.0.tgz", "cnbkit-framework-0.1.0.tgz"]);
  packs = { framework: join(dest, tarballs[1]!), cli: join(dest, tarballs[0]!) };

  host = join(work, "host");
  await mkdir(host);
  await writeFile(join(host, "package.json"), `${JSON.stringify({ name: "host", private: true }, null, 2)}\n`);
  npm(host, "install", packs.framework, packs.cli);
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  if (frameworkCopy) await rm(frameworkCopy, { recursive: true, force: true });
});

/** The files of an installed package, relative to its directory, sorted. */
function installedFiles(project: string, name: string): string[] {
  const dir = join(project, "node_modules", name);
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** Every file an `exports` map points at (conditions and subpaths flattened). */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === "string") return [exports];
  if (exports && typeof exports === "object") return Object.values(exports).flatMap(exportTargets);
  return [];
}

describe.sequential("the npm packages, installed outside the repository", () => {
  test("@cnbkit/builder-packager ships the bundled CLI and the templates, not its sources", () => {
    const files = installedFiles(host, "@cnbkit/builder-packager");
    expect(files).toContain("dist/cnbkit.mjs");
    expect(files).toContain("dist/templates/buildpack/buildpack.toml");
    expect(files).toContain("dist/ca-certificates/src/index.ts");
    expect(files.filter((f) => f.startsWith("src/"))).toEqual([]);
    const bin = lstatSync(join(host, "node_modules", ".bin", "cnbkit"));
    expect(bin.isSymbolicLink()).toBe(true);
    expect(cnbkit(host, "--help")).toMatch(/^cnbkit: /);
  });

  test("@cnbkit/framework ships JavaScript with .d.ts for every export, no TypeScript sources", () => {
    const dir = join(host, "node_modules", "@cnbkit", "framework");
    const pkg = readJson(join(dir, "package.json"));
    const targets = exportTargets(pkg.exports);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((t) => !/\.(m?js|d\.m?ts)$/.test(t) && t !== "./package.json")).toEqual([]);
    for (const t of targets) expect(existsSync(join(dir, t)), t).toBe(true);
    const files = installedFiles(host, "@cnbkit/framework");
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.some((f) => f.endsWith(".d.ts"))).toBe(true);
  });
});

const cases = [
  { template: "buildpack", id: "acme/hello", packaged: { "acme_hello.cnb": "acme/hello" } },
  { template: "composite", id: "acme/stack", packaged: { "acme_stack.cnb": "acme/stack" } },
  {
    template: "builder",
    id: "acme/builder",
    packaged: { "out/ca-certificates.cnb": "acme/ca-certificates", "out/org-defaults.cnb": "acme/org-defaults" },
  },
] as const;

describe.sequential.each(cases)(
  "cnbkit new --template $template, from the installed CLI",
  ({ template, id, packaged }) => {
    test("uses the published ranges, then installs, tests, typechecks and packages", { timeout: 900_000 }, () => {
      const dir = join(work, "projects", template);
      expect(cnbkit(host, "new", dir, "--template", template, "--id", id)).toContain(`Created ${template} ${id}`);

      // No checkout in sight: the ranges are those of the installed CLI package.
      const cliPkg = readJson(join(host, "node_modules", "@cnbkit", "builder-packager", "package.json"));
      const pkg = readJson(join(dir, "package.json"));
      expect(cliPkg.dependencies["@cnbkit/framework"]).toBe("^0.1.0");
      expect(pkg.dependencies["@cnbkit/framework"]).toBe(cliPkg.dependencies["@cnbkit/framework"]);
      expect(pkg.devDependencies["@cnbkit/builder-packager"]).toBe(`^${cliPkg.version}`);

      // Not on the registry yet: the same tarballs stand in for the published versions.
      npm(dir, "install", packs.framework, packs.cli);
      for (const name of ["@cnbkit/framework", "@cnbkit/builder-packager"]) {
        const installed = join(dir, "node_modules", name);
        expect(lstatSync(installed).isSymbolicLink(), `${name} is a copy, not a link into a checkout`).toBe(false);
      }

      const tested = npm(dir, "test");
      const counts = /Tests\s+(\d+) passed \((\d+)\)/.exec(tested);
      expect(counts, tested).not.toBeNull();
      expect(Number(counts![1])).toBeGreaterThan(0);
      expect(counts![1]).toBe(counts![2]);
      // The next steps `cnbkit new` prints (npm test, npm run package), then the typecheck.
      npm(dir, "run", "package");
      for (const [file, bpId] of Object.entries(packaged)) {
        const label = buildpackageLabel(join(dir, file));
        expect([label.id, label.version]).toEqual([bpId, "0.1.0"]);
      }
      npm(dir, "run", "typecheck");
    });
  },
);

describe.sequential("a build with the packaged buildpack template", () => {
  const GREETING = "Hello from the packaged buildpack";
  const APP_FILES = {
    "hello.txt": `${GREETING}\n`,
    "server.js": [
      'const { execFileSync } = require("node:child_process");',
      'const http = require("node:http");',
      "http",
      "  .createServer((_req, res) => {",
      '    const hello = execFileSync("hello", { encoding: "utf8" }).trim();',
      '    res.end("HELLO_FILE=" + process.env.HELLO_FILE + " hello=" + hello + "\\n");',
      "  })",
      '  .listen(Number(process.env.PORT || 8080), process.env.HOST || "0.0.0.0");',
      "",
    ].join("\n"),
  };

  test("the installed CLI makes a builder with it, builds an app, and the app answers", {
    timeout: 900_000,
  }, async () => {
    const cnb = join(work, "projects", "buildpack", "acme_hello.cnb");
    expect(existsSync(cnb), "the buildpack template was packaged above").toBe(true);
    // The base images and offline nodejs.cnb the e2e reference builder uses, under its lock.
    await mkdir(E2E_DIR, { recursive: true }); // a fresh clone has no .cnbkit/e2e yet
    const local = await withDirLock(join(E2E_DIR, "builder.lock"), async () => {
      await ensureBaseImages({ output: BASE_LAYOUT });
      return prepareLocalReferenceBuilder({ outDir: join(E2E_DIR, "reference-local"), baseLayout: BASE_LAYOUT });
    });
    const builderToml = join(work, "builder.toml");
    await writeFile(
      builderToml,
      [
        'description = "reference Node.js buildpack plus the packaged buildpack template"',
        `[[buildpacks]]\nuri = ${JSON.stringify(local.nodejsPackage)}`,
        `[[buildpacks]]\nuri = ${JSON.stringify(cnb)}`,
        '[[order]]\n[[order.group]]\nid = "cnbkit/nodejs"\n[[order.group]]\nid = "acme/hello"',
        `[build]\nimage = ${JSON.stringify(`oci:${BASE_LAYOUT}:build`)}`,
        `[[run.images]]\nimage = ${JSON.stringify(`oci:${BASE_LAYOUT}:run`)}`,
        '[lifecycle]\nversion = "0.21.17"',
        '[[targets]]\nos = "linux"\narch = "amd64"',
        "",
      ].join("\n"),
    );
    const builder = `oci:${join(work, "builder")}:latest`;
    cnbkit(host, "builder", "create", builderToml, "--output", builder);

    const app = join(work, "app");
    await mkdir(app);
    for (const [file, text] of Object.entries(APP_FILES)) await writeFile(join(app, file), text);
    const image = `oci:${join(work, "image")}:latest`;
    const built = cnbkit(
      host,
      "build",
      app,
      "--builder",
      builder,
      "--output",
      image,
      "--cache-dir",
      join(work, "cache"),
    );
    expect(built).toContain("Adding layer 'cnbkit/nodejs:node'");
    expect(built).toContain("Adding layer 'acme/hello:hello'");
    expect(built).toContain("Setting default process type 'web'");

    expect(await getFromImage(image)).toBe(`200 HELLO_FILE=/workspace/hello.txt hello=${GREETING}\n`);
  });
});
