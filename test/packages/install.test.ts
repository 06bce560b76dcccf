/**
 * cnbkit as a new user outside this repository gets it: from an npm registry (issue 37 item 1).
 *
 * A Verdaccio on 127.0.0.1 (test/packages/verdaccio.ts: the @cnbkit scope's registry; other
 * packages come from npm's usual one) gets @cnbkit/framework and @cnbkit/builder-packager by
 * `npm publish` (their prepack scripts build what is published). Then, in an empty dir with a temp global
 * prefix (npm_config_prefix, so `npm i -g` never touches the machine's) first on PATH, the
 * `<!-- test: registry -->` blocks of docs/getting-started.md run word for word, in order,
 * each line in bash: install the CLI, `cnbkit new` each template, `npm install` from the
 * registry, `npm test`, `npm run package`, `npm run base`, `npm run builder`, `cnbkit build`
 * and `cnbkit run`, which must answer HTTP. Two things the guide says in prose are done here:
 * builder.toml gets the hello buildpack and a Node.js buildpack (the reference one, packaged
 * offline by the e2e helpers) before `npm run builder`, and `cnbkit run` gets a free port.
 * Then the same user, with no lifecycle in the cache, makes the builder again with
 * CNBKIT_LIFECYCLE_MIRROR naming a loopback server laid out like the GitHub release: the
 * template's builder.toml has no sha256, so the tarball is checked against the .sha256 the
 * release publishes beside it (issue 44).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { homedir, tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { withDirLock } from "../../builder-packager/src/cache/index.js";
import { ensureBaseImages } from "../../builder-packager/src/base/images.js";
import { cachedLifecycleDir } from "../../builder-packager/src/builder/lifecycle-binary.js";
import { releaseAsset } from "../../builder-packager/src/builder/lifecycle-tarball.js";
import { prepareLocalReferenceBuilder } from "../../tools/local-builder/local-node.js";
import { BASE_LAYOUT, E2E_DIR, freePort, ROOT } from "../e2e/support.js";
import { LIFECYCLE_VERSION } from "../support/lifecycle.js";
import { startVerdaccio, type Verdaccio } from "./verdaccio.js";

/** A ```sh block of the guide marked `<!-- test: registry -->`. */
interface Block {
  title: string;
  lines: string[];
}

function guideBlocks(): Block[] {
  const text = readFileSync(join(ROOT, "docs", "getting-started.md"), "utf8");
  const out: Block[] = [];
  for (const m of text.matchAll(/<!-- test: registry -->\s*\n```sh\n([\s\S]*?)```/g)) {
    const before = text.slice(0, m.index);
    const title = [...before.matchAll(/^## (.+)$/gm)].at(-1)?.[1] ?? "intro";
    const lines = m[1]!
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    out.push({ title, lines });
  }
  return out;
}

/**
 * This process's environment without what an outer `npm run`/`npx` put there for its own
 * project (npm would take `npm_config_local_prefix` as the project root), nor any npm
 * setting that would point elsewhere than the test's registry and prefix.
 */
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(npm_|INIT_CWD$)/i.test(k)),
) as NodeJS.ProcessEnv;

const blocks = guideBlocks();
let work = "";
let frameworkCopy = "";
let registry: Verdaccio | undefined;
let user = "";
let prefix = "";
let env: NodeJS.ProcessEnv = {};
const times: string[] = [];

/**
 * {@link sh} without blocking this process: for commands that talk to a server the test runs
 * in-process (spawnSync would stop its event loop, and the server could not answer).
 */
async function shAsync(cwd: string, line: string, extraEnv: NodeJS.ProcessEnv): Promise<string> {
  const t0 = Date.now();
  const child = spawn("bash", ["-c", line], { cwd, env: extraEnv, stdio: ["ignore", "pipe", "pipe"] });
  const chunks: Buffer[] = [];
  for (const s of [child.stdout, child.stderr]) s.on("data", (b: Buffer) => chunks.push(b));
  const code = await new Promise<number | null>((r) => child.once("close", r));
  const out = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\x1b\[[0-9;]*m/g, "");
  times.push(`${((Date.now() - t0) / 1000).toFixed(1)} s  ${line.slice(0, 90)}`);
  if (code !== 0) throw new Error(`${line} (in ${cwd}) exited ${code}:\n${out}`);
  return out;
}

/** Runs `line` with bash in `cwd` as the user; returns stdout + stderr without colours, or throws with them. */
function sh(cwd: string, line: string, extraEnv: NodeJS.ProcessEnv = env): string {
  const t0 = Date.now();
  const r = spawnSync("bash", ["-c", line], { cwd, env: extraEnv, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const out = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
  times.push(`${((Date.now() - t0) / 1000).toFixed(1)} s  ${line.slice(0, 90)}`);
  if (r.status !== 0) throw new Error(`${line} (in ${cwd}) exited ${r.status ?? r.signal}:\n${out}`);
  return out;
}

beforeAll(async () => {
  const t0 = Date.now();
  work = await mkdtemp(join(tmpdir(), "cnbkit-packages-"));
  registry = await startVerdaccio(join(work, "verdaccio"));
  const publishEnv = { ...baseEnv, npm_config_userconfig: registry.npmrc };
  // The framework's prepack switches its package.json to the published form until postpack;
  // test files running meanwhile would import its dist/ instead of its sources. So it is
  // published from a copy, inside the repo so that its build finds tsc and the types in
  // node_modules. The CLI's prepack only rewrites builder-packager/dist, as `npm run build` does.
  await mkdir(join(ROOT, ".cnbkit"), { recursive: true });
  frameworkCopy = await mkdtemp(join(ROOT, ".cnbkit", "packages-"));
  await cp(join(ROOT, "framework"), join(frameworkCopy, "framework"), {
    recursive: true,
    filter: (src) => !/\/framework\/(node_modules|dist|\.package\.repo\.json)$/.test(src),
  });
  sh(join(frameworkCopy, "framework"), "npm publish --no-audit --no-fund", publishEnv);
  sh(ROOT, "npm publish -w builder-packager --no-audit --no-fund", publishEnv);

  user = join(work, "user");
  prefix = join(work, "prefix");
  await mkdir(user);
  env = {
    ...publishEnv,
    // `npm i -g` installs here, and its bin/ comes first on PATH: never the machine's prefix.
    npm_config_prefix: prefix,
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
    PATH: `${join(prefix, "bin")}${delimiter}${process.env.PATH}`,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  console.log(`registry e2e: verdaccio + publish ${Date.now() - t0} ms`);
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
  if (frameworkCopy) await rm(frameworkCopy, { recursive: true, force: true });
  console.log(`registry e2e, wall time per command:\n${times.join("\n")}`);
});

/** The files of an installed package dir, relative to it, sorted. */
function installedFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .filter((f) => !f.startsWith("node_modules/"))
    .sort();
}

/** Every file an `exports` map points at (conditions and subpaths flattened). */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === "string") return [exports];
  if (exports && typeof exports === "object") return Object.values(exports).flatMap(exportTargets);
  return [];
}

/** The buildpackage label of a .cnb, read by skopeo. */
function buildpackageLabel(cnb: string): { id: string; version: string } {
  const inspected = JSON.parse(sh(ROOT, `skopeo inspect oci-archive:${cnb}`));
  return JSON.parse(inspected.Labels["io.buildpacks.buildpackage.metadata"]);
}

/**
 * What the guide leaves to the reader before `npm run builder`: the hello buildpack and a
 * Node.js buildpack in a group ahead of the template's, as its toml snippet shows.
 */
async function addAppBuildpacks(builderDir: string): Promise<void> {
  await mkdir(E2E_DIR, { recursive: true }); // a fresh clone has no .cnbkit/e2e yet
  const local = await withDirLock(join(E2E_DIR, "builder.lock"), async () => {
    await ensureBaseImages({ output: BASE_LAYOUT });
    return prepareLocalReferenceBuilder({ outDir: join(E2E_DIR, "reference-local"), baseLayout: BASE_LAYOUT });
  });
  const file = join(builderDir, "builder.toml");
  const toml = await readFile(file, "utf8");
  const at = toml.indexOf("[[order]]");
  expect(at).toBeGreaterThan(0);
  const added = [
    `[[buildpacks]]\n  uri = ${JSON.stringify(local.nodejsPackage)}\n`,
    '[[buildpacks]]\n  uri = "../hello/acme_hello.cnb"\n',
    "[[order]]",
    ...["acme/ca-certificates", "cnbkit/nodejs", "acme/hello", "acme/org-defaults"].map(
      (id) => `  [[order.group]]\n    id = "${id}"${id.endsWith("ca-certificates") ? "\n    optional = true" : ""}`,
    ),
    "",
  ].join("\n");
  await writeFile(file, `${toml.slice(0, at)}${added}\n${toml.slice(at)}`);
}

/** Runs `cnbkit run ...` (the guide's, on a free port) until it answers `/`; returns the answer. */
async function runAndGet(cwd: string, line: string): Promise<string> {
  const port = await freePort();
  const args = line
    .replace(/--port \d+/, `--port ${port}`)
    .split(/\s+/)
    .slice(1);
  const t0 = Date.now();
  const lines: string[] = [];
  const child: ChildProcess = spawn(join(prefix, "bin", "cnbkit"), args, {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const s of [child.stdout, child.stderr]) s?.on("data", (b: Buffer) => lines.push(b.toString()));
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  try {
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${line} exited ${child.exitCode}:\n${lines.join("")}`);
      const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      if (res) return `${res.status} ${await res.text()}`;
      if (Date.now() > deadline) throw new Error(`${line}: nothing answered in 180 s:\n${lines.join("")}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, "SIGINT");
      await exited;
    }
    times.push(`${((Date.now() - t0) / 1000).toFixed(1)} s  ${line} (until it answered, then stopped)`);
  }
}

describe.sequential("docs/getting-started.md, run as a new user against a registry", () => {
  test("the guide has the path: install, three templates, base, builder, build, run", () => {
    const all = blocks.flatMap((b) => b.lines);
    expect(all[0]).toBe("npm i -g @cnbkit/builder-packager");
    for (const t of ["buildpack", "composite", "builder"]) {
      expect(
        all.some((l) => l.startsWith("cnbkit new ") && l.includes(`--template ${t}`)),
        t,
      ).toBe(true);
    }
    for (const l of ["npm run base", "npm run builder"]) expect(all).toContain(l);
    expect(all.some((l) => l.startsWith("cnbkit build "))).toBe(true);
    expect(all.at(-1)).toMatch(/^cnbkit run /);
  });

  test.each(blocks.map((b, i) => ({ ...b, n: String(i + 1) })))(
    "block $n ($title)",
    { timeout: 1_800_000 },
    async ({ lines }) => {
      let cwd = user; // each block starts where the reader started
      for (const line of lines) {
        const cd = /^cd (\S+)$/.exec(line);
        if (cd) {
          cwd = resolve(cwd, cd[1]!);
          expect(existsSync(cwd), line).toBe(true);
          continue;
        }
        if (line === "npm run builder") await addAppBuildpacks(cwd);
        if (line.startsWith("cnbkit run ")) {
          expect(await runAndGet(cwd, line)).toBe("200 TZ=UTC HELLO_FILE=/workspace/hello.txt\n");
          continue;
        }
        const out = sh(cwd, line);
        if (line.startsWith("cnbkit --help")) expect(out).toMatch(/^cnbkit: /);
        if (line === "npm test") {
          const counts = /Tests\s+(\d+) passed \((\d+)\)/.exec(out);
          expect(counts, out).not.toBeNull();
          expect(Number(counts![1])).toBeGreaterThan(0);
          expect(counts![1]).toBe(counts![2]);
        }
        if (line.startsWith("cnbkit build ")) {
          expect(out).toContain("Adding layer 'cnbkit/nodejs:node'");
          expect(out).toContain("Adding layer 'acme/hello:hello'");
          expect(out).toContain("Setting default process type 'web'");
        }
      }
    },
  );

  test("with no lifecycle in its cache, builder create on the template's builder.toml (no sha256) fetches the release from CNBKIT_LIFECYCLE_MIRROR and checks it against the published .sha256", {
    timeout: 600_000,
  }, async () => {
    // A release server laid out like GitHub's (…/releases/download/v<V>/<asset> and <asset>.sha256),
    // serving a tarball shaped like the release, made from the Go-built lifecycle.
    const version = LIFECYCLE_VERSION;
    const realCache = env.CNBKIT_CACHE ?? join(homedir(), ".cache", "cnbkit");
    const asset = releaseAsset(version, "amd64");
    const rel = join(work, "release");
    const built = cachedLifecycleDir(version, "amd64", { CNBKIT_CACHE: realCache });
    await cp(built, join(rel, "lifecycle"), { recursive: true, verbatimSymlinks: true });
    await rm(join(rel, "lifecycle", "lifecycle.toml"));
    await cp(join(built, "lifecycle.toml"), join(rel, "lifecycle.toml"));
    const tgz = join(work, asset);
    execFileSync("tar", ["-czf", tgz, "-C", rel, "lifecycle.toml", "lifecycle"]);
    const sha = createHash("sha256")
      .update(await readFile(tgz))
      .digest("hex");
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(req.url ?? "");
      if (req.url === `/releases/download/v${version}/${asset}`) {
        res.writeHead(200, { "content-type": "application/gzip" });
        return void createReadStream(tgz).pipe(res);
      }
      if (req.url === `/releases/download/v${version}/${asset}.sha256`) return void res.end(`${sha}  ${asset}\n`);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    // The user's cache, minus its lifecycle: everything else (the Node.js runtime the
    // template's buildpacks compile onto) is there, as after any earlier cnbkit use.
    const cache = join(work, "cache-without-lifecycle");
    await mkdir(cache);
    for (const entry of readdirSync(realCache)) {
      if (entry !== "lifecycle") await symlink(join(realCache, entry), join(cache, entry));
    }
    try {
      const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/releases/download`;
      const builderDir = join(user, "acme-builder");
      const out = await shAsync(
        builderDir,
        `cnbkit builder create builder.toml --output oci:${join(work, "mirror-builder")}`,
        {
          ...env,
          CNBKIT_CACHE: cache,
          CNBKIT_LIFECYCLE_MIRROR: mirror,
        },
      );
      expect(out).toContain(`Fetching lifecycle ${version} for amd64 from ${mirror}/v${version}/${asset}`);
      expect(out).toContain(`sha256 ${sha} (published beside the tarball)`);
      expect(requests).toEqual([
        `/releases/download/v${version}/${asset}.sha256`,
        `/releases/download/v${version}/${asset}`,
      ]);
      const meta = JSON.parse(
        JSON.parse(sh(ROOT, `skopeo inspect oci:${join(work, "mirror-builder")}`)).Labels[
          "io.buildpacks.builder.metadata"
        ],
      );
      expect(meta.lifecycle.version).toBe(version);
      // Verified once: the tarball and its sum are cached by sha256, and a second create asks nothing.
      requests.length = 0;
      await shAsync(builderDir, `cnbkit builder create builder.toml --output oci:${join(work, "mirror-builder-2")}`, {
        ...env,
        CNBKIT_CACHE: cache,
        CNBKIT_LIFECYCLE_MIRROR: mirror,
      });
      expect(requests).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test("the CLI came from the registry into the temp prefix, with its bin link and no sources", () => {
    const dir = join(prefix, "lib", "node_modules", "@cnbkit", "builder-packager");
    expect(lstatSync(join(prefix, "bin", "cnbkit")).isSymbolicLink()).toBe(true);
    const files = installedFiles(dir);
    expect(files).toContain("dist/cnbkit.mjs");
    // What the entry imports when a command runs (scripts/build-cli.mjs splits the bundle).
    expect(files.some((f) => f.startsWith("dist/chunks/"))).toBe(true);
    expect(files).toContain("dist/templates/buildpack/buildpack.toml");
    expect(files).toContain("dist/ca-certificates/src/index.ts");
    expect(files.filter((f) => f.startsWith("src/"))).toEqual([]);
    const lock = JSON.parse(readFileSync(join(user, "hello", "package-lock.json"), "utf8")) as {
      packages: Record<string, { resolved?: string; version?: string }>;
    };
    // Both packages resolved from the test's registry, at the version this checkout has.
    for (const name of ["@cnbkit/framework", "@cnbkit/builder-packager"]) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry?.resolved, name).toMatch(new RegExp(`^${registry!.url}`));
      const pkg = JSON.parse(readFileSync(join(ROOT, name.replace("@cnbkit/", ""), "package.json"), "utf8"));
      expect(entry?.version).toBe(pkg.version);
    }
  });

  test("@cnbkit/framework ships JavaScript with .d.ts for every export, no TypeScript sources", () => {
    const dir = join(user, "hello", "node_modules", "@cnbkit", "framework");
    expect(lstatSync(dir).isSymbolicLink()).toBe(false);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { exports: unknown };
    const targets = exportTargets(pkg.exports);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((t) => !/\.(m?js|d\.m?ts)$/.test(t) && t !== "./package.json")).toEqual([]);
    for (const t of targets) expect(existsSync(join(dir, t)), t).toBe(true);
    const files = installedFiles(dir);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.some((f) => f.endsWith(".d.ts"))).toBe(true);
  });

  test("each template's package script made its buildpackages, and the projects typecheck", {
    timeout: 600_000,
  }, () => {
    const packaged = {
      "hello/acme_hello.cnb": "acme/hello",
      "stack/acme_stack.cnb": "acme/stack",
      "acme-builder/out/ca-certificates.cnb": "acme/ca-certificates",
      "acme-builder/out/org-defaults.cnb": "acme/org-defaults",
    };
    for (const [file, id] of Object.entries(packaged)) {
      const label = buildpackageLabel(join(user, file));
      expect([label.id, label.version]).toEqual([id, "0.1.0"]);
    }
    for (const project of ["hello", "stack", "acme-builder"]) sh(join(user, project), "npm run typecheck");
  });
});
