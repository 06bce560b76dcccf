/**
 * Shared parts of the end-to-end tests: the reference builder (its local variant, built once
 * and cached by its inputs), the CA binding this machine's TLS proxy needs, the bundled CLI
 * as a child process, fixture apps in temp dirs, and "run the image and GET /".
 * Everything here drives real parts: debootstrap base images, the Go-built lifecycle, runc.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@cnbkit/framework/testing";
import { afterAll, beforeAll } from "vitest";
import { withDirLock } from "../../builder-packager/src/cache/index.js";
import { ensureBaseImages } from "../../builder-packager/src/base/images.js";
import { createBuilder } from "../../builder-packager/src/builder/index.js";
import type { Platform } from "../../builder-packager/src/oci/index.js";
import { type Binding, buildApp } from "../../builder-packager/src/platform/index.js";
import { runApp } from "../../builder-packager/src/platform/run.js";
import { prepareLocalReferenceBuilder, REPO_ROOT } from "../../tools/local-builder/local-node.js";

/** Re-exported for the e2e files that take it from here. */
export { freePort };

/** The repository root. */
export const ROOT = REPO_ROOT;

/** Generated files of the e2e tests (gitignored, kept between runs as a cache). */
export const E2E_DIR = join(ROOT, ".cnbkit/e2e");

/** The committed fixture apps. */
export const FIXTURES = join(ROOT, "test/e2e/fixtures");

/** The OCI layout with the base images the e2e builder uses (tags build and run). */
export const BASE_LAYOUT = join(E2E_DIR, "base");

/**
 * The reference builder (local Node.js and CPython inventories) as `oci:<dir>:latest`. Made once: the base
 * images and Node tarball are cached, and `builder create` runs only when the inputs digest
 * changed. A dir lock keeps parallel test files from building it twice.
 */
export async function referenceBuilder(onProgress: (line: string) => void = () => {}): Promise<string> {
  return localBuilder({ name: "builder", localDir: "reference-local" }, onProgress);
}

/** Which local reference builder {@link localBuilder} makes, and where under E2E_DIR. */
export interface LocalBuilderVariant {
  /** The layout's dir name (its lock and inputs stamp are named after it). */
  name: string;
  /** The local builder's out dir name (its buildpackages and builder.toml). */
  localDir: string;
  /** Options of the local builder beyond the base layout (e.g. `patchBuilds`). */
  local?: Omit<Parameters<typeof prepareLocalReferenceBuilder>[0], "outDir" | "baseLayout" | "onProgress">;
}

/**
 * A local reference builder as `oci:<dir>:latest`, made (or remade) when its inputs changed,
 * under a dir lock: the e2e builder, and variants the long tests need beside it (their own dirs,
 * so the main job's and CI's builder stays as it is).
 */
export async function localBuilder(
  variant: LocalBuilderVariant,
  onProgress: (line: string) => void = () => {},
): Promise<string> {
  await mkdir(E2E_DIR, { recursive: true });
  const dir = join(E2E_DIR, variant.name);
  return withDirLock(join(E2E_DIR, `${variant.name}.lock`), async () => {
    await ensureBaseImages({ output: BASE_LAYOUT, onProgress });
    const local = await prepareLocalReferenceBuilder({
      ...variant.local,
      outDir: join(E2E_DIR, variant.localDir),
      baseLayout: BASE_LAYOUT,
      onProgress,
    });
    const stamp = join(E2E_DIR, `${variant.name}.inputs`);
    const have = await readFile(stamp, "utf8").catch(() => "");
    if (have !== local.inputsDigest || !existsSync(join(dir, "index.json"))) {
      await rm(stamp, { force: true });
      await createBuilder({ config: local.builderToml, output: `oci:${dir}:latest`, onProgress });
      await writeFile(stamp, local.inputsDigest);
    }
    return `oci:${dir}:latest`;
  });
}

/**
 * The `ca-certificates` binding with this machine's CA bundle ($NODE_EXTRA_CA_CERTS), which
 * npm in the build container needs to pass the TLS proxy. None when the variable is unset.
 */
export async function caBindings(): Promise<Binding[]> {
  const pem = process.env.NODE_EXTRA_CA_CERTS;
  if (!pem || !existsSync(pem)) return [];
  const dir = join(E2E_DIR, "bindings", "ca");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "type"), "ca-certificates");
  await cp(pem, join(dir, "ca.pem"));
  return [{ name: "ca", dir }];
}

/** The reference builder and the CA bindings, as {@link useReferenceBuilder} fills them in. */
export interface ReferenceBuilder {
  /** `oci:<dir>:latest` of {@link referenceBuilder}. */
  builder: string;
  /** {@link caBindings}. */
  bindings: Binding[];
}

/**
 * Registers the file's beforeAll that makes the reference builder and reads the CA binding,
 * the hook most e2e files open with; the returned fields are filled once it ran.
 */
export function useReferenceBuilder(timeout?: number): ReferenceBuilder {
  const ref: ReferenceBuilder = { builder: "", bindings: [] };
  beforeAll(async () => {
    ref.builder = await referenceBuilder();
    ref.bindings = await caBindings();
  }, timeout);
  return ref;
}

/** `--binding` arguments for {@link caBindings}. */
export async function caBindingArgs(): Promise<string[]> {
  return (await caBindings()).flatMap((b) => ["--binding", `${b.name}=${b.dir}`]);
}

/** A copy of fixture `name` (or of `from`, a directory) in a fresh temp dir, plus extra files. */
export async function fixtureApp(name: string, files: Record<string, string> = {}, from?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `cnbkit-e2e-${name}-`));
  const src = from ?? join(FIXTURES, name);
  if (existsSync(src)) await cp(src, dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/**
 * Runs `image` with `cnbkit run`'s code (runc, host network, HOST=127.0.0.1), GETs `/` once
 * it listens, stops it and returns the status and body. `opts.memoryBytes` is the container's
 * memory limit (`cnbkit run --memory`); `opts.output` collects what the app printed.
 */
export async function getFromImage(
  image: string,
  env: Record<string, string> = {},
  opts: { memoryBytes?: number; output?: string[]; platform?: Platform } = {},
): Promise<string> {
  const port = await freePort();
  const lines = opts.output ?? [];
  const app = await runApp({
    image,
    port,
    env: { HOST: "127.0.0.1", ...env },
    ...(opts.memoryBytes !== undefined ? { memoryBytes: opts.memoryBytes } : {}),
    ...(opts.platform ? { platform: opts.platform } : {}),
    onOutput: (l) => lines.push(l),
  });
  try {
    // 180 s: java-hello's Spring Boot took 32 s to its root context and over 60 s to listen
    // with the machine's load average at 31 (8 engineers on 2 cores).
    await app.ready(180_000).catch((e: Error) => {
      throw new Error(`${e.message}\napp output:\n${lines.join("\n")}`);
    });
    const res = await fetch(`http://127.0.0.1:${port}/`);
    return `${res.status} ${await res.text()}`;
  } finally {
    await app.stop();
  }
}

/** The CLI bundled for this process (as scripts/build-cli.mjs bundles it). */
export async function bundleCli(): Promise<{ path: string; remove(): Promise<void> }> {
  // A directory of its own: the bundle is an entry and chunks/ beside it, removed together.
  const dir = join(E2E_DIR, "cli", `cnbkit-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const path = join(dir, "cnbkit.mjs");
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/build-cli.mjs"), path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`scripts/build-cli.mjs failed: ${r.stderr}`);
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** What an e2e file that drives the CLI against the reference builder needs (see cliSession). */
export interface CliSession {
  /** The local reference builder's layout ref. */
  builder: string;
  /** The bundled CLI's path. */
  cli: string;
  /** `--volume` args of the CA binding this machine's TLS proxy needs. */
  ca: string[];
  /** A temp dir for this file's outputs, removed after its tests. */
  work: string;
}

/**
 * Registers the file's beforeAll/afterAll: makes the reference builder, bundles the CLI,
 * reads the CA binding and makes a temp dir `cnbkit-e2e-<name>-*`; afterwards removes the
 * bundle and the dir. The returned fields are filled once the hooks ran.
 */
export function cliSession(name: string): CliSession {
  const s: CliSession = { builder: "", cli: "", ca: [], work: "" };
  let bundle: Awaited<ReturnType<typeof bundleCli>> | undefined;
  beforeAll(async () => {
    s.builder = await referenceBuilder();
    bundle = await bundleCli();
    s.cli = bundle.path;
    s.ca = await caBindingArgs();
    s.work = await mkdtemp(join(tmpdir(), `cnbkit-e2e-${name}-`));
  });
  afterAll(async () => {
    await bundle?.remove();
    if (s.work) await rm(s.work, { recursive: true, force: true });
  });
  return s;
}

/** What a CLI run gave. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the bundled CLI with `args`. `onLine` sees each stdout line (and the CLI's pid) as it
 * comes and may return "kill" to SIGKILL the process there. With `group`, the CLI runs in a
 * process group of its own, as a terminal runs it, and "kill" reaches the whole group; `env`
 * adds to the environment it inherits.
 */
export function runCli(
  cli: string,
  args: string[],
  onLine?: (line: string, pid: number) => "kill" | undefined,
  opts: { group?: boolean; env?: Record<string, string> } = {},
): Promise<CliResult & { pid: number }> {
  const child = spawn(process.execPath, [cli, ...args], {
    detached: opts.group === true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
  });
  const pid = child.pid as number;
  const kill = () => (opts.group ? process.kill(-pid, "SIGKILL") : child.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  let pending = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const l of lines) if (onLine?.(l, pid) === "kill") kill();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((res) => child.on("close", (code, signal) => res({ code, signal, stdout, stderr, pid })));
}

/** One app of an e2e file that builds with the reference builder: its copy, output dir and image. */
export interface ReferenceApp {
  app: string;
  work: string;
  /** `oci:<work>/image:latest`. */
  image: string;
}

/** What {@link referenceApps} gives a test file. */
export interface ReferenceApps {
  /**
   * A copy of fixture `name` (or of the dir `from`, for fixtures outside test/e2e/fixtures) with
   * `files` over it, a dir for its outputs and an image ref; removed after the file.
   */
  appCase(name: string, files: Record<string, string>, from?: string): Promise<ReferenceApp>;
  /**
   * Builds `c` with the reference builder and the CA binding (its cache in `<work>/cache`, so a
   * second call is a rebuild); a failure carries the build's last 40 lines (and all of them as `lines`).
   */
  build(c: ReferenceApp, env?: Record<string, string>): Promise<{ text: string; ms: number }>;
}

/**
 * Registers the file's beforeAll/afterAll for apps built with the reference builder: makes the
 * builder and reads the CA binding before, removes every app and output dir after.
 */
export function referenceApps(): ReferenceApps {
  const ref = useReferenceBuilder(1_800_000);
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  return {
    async appCase(name, files, from) {
      const app = await fixtureApp(name, files, from);
      const work = await mkdtemp(join(tmpdir(), `cnbkit-e2e-${name}-out-`));
      dirs.push(app, work);
      return { app, work, image: `oci:${join(work, "image")}:latest` };
    },
    async build(c, env = {}) {
      const lines: string[] = [];
      const t0 = Date.now();
      await buildApp({
        appDir: c.app,
        builder: ref.builder,
        output: c.image,
        cacheDir: join(c.work, "cache"),
        bindings: ref.bindings,
        env,
        onOutput: (l) => lines.push(l),
      }).catch((e: Error) => {
        throw Object.assign(new Error(`${e.message}\n${lines.slice(-40).join("\n")}`), { lines });
      });
      return { text: lines.join("\n"), ms: Date.now() - t0 };
    },
  };
}
