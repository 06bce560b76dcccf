/**
 * The detect phase: its context, its result, and running it. Also the context both phases
 * share (app files, buildpack descriptor, platform input, target, logger).
 *
 * This module is on detect's hot path: it must not import anything build-only (SBOM,
 * downloads, archives). The build phase lives in build.ts, loaded on demand.
 */
// Each import names its file, not a folder's index: the bundler splits chunks by what an
// entry point's imports reach, so an index here would pull build-only modules (exec.d, env
// files, layer and launch TOML writers) into every detect's chunk and its code cache.
import { join } from "node:path";
// Nor does it import the TOML library: a detect writes its plan with buildPlanText and reads
// buildpack.toml's parsed copy, and loads the library only for what those leave to it.
import type { BuildPlan, Provide, Require } from "../cnb-files/build-plan.js";
import { buildPlanText } from "../cnb-files/build-plan-text.js";
import { type BuildpackDescriptor, checkMetadata, readBuildpackToml } from "../cnb-files/buildpack-toml.js";
import { CnbError } from "../errors/cnb-error.js";
import { readFileNow as readFile, statNow as stat, writeFileNow as writeFile } from "../fs/now.js";
import { createLogger, type Logger } from "../log/logger.js";
import { Bindings } from "../platform/bindings.js";
import {
  type BuildTarget,
  detectPaths,
  type Environment,
  readExecEnv,
  readPlatformEnv,
  readTarget,
} from "../platform/platform.js";
import { jsonErrorOffset } from "./json-error-offset.js";
import type { BuildpackDefinition } from "./main.js";

/** Options of the `ctx.app.read*` methods. */
export interface ReadOptions {
  /** Return undefined instead of throwing when the file does not exist. */
  optional?: boolean;
}

/**
 * Read access to the app source. Paths are relative to the app directory; errors name the
 * file (`package.json: invalid JSON at line 3: ...`).
 */
export class AppFiles {
  constructor(
    /** The app directory. */
    readonly path: string,
  ) {}

  /** True when `rel` exists (file or directory). */
  async exists(rel: string): Promise<boolean> {
    try {
      await stat(join(this.path, rel));
      return true;
    } catch {
      return false;
    }
  }

  /** Reads a UTF-8 file. */
  readText(rel: string): Promise<string>;
  readText(rel: string, options: ReadOptions & { optional: true }): Promise<string | undefined>;
  readText(rel: string, options?: ReadOptions): Promise<string | undefined>;
  async readText(rel: string, options: ReadOptions = {}): Promise<string | undefined> {
    try {
      return await readFile(join(this.path, rel), "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" && options.optional) return undefined;
      if (code === "ENOENT") throw new CnbError(`${rel}: not found in the app directory`, { cause: err });
      throw new CnbError(`${rel}: cannot be read: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Reads and parses a JSON file. The value is untyped (`any`): check what you use. */
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the app is untyped until the buildpack checks it
  readJson<T = any>(rel: string): Promise<T>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  readJson<T = any>(rel: string, options: ReadOptions & { optional: true }): Promise<T | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  readJson<T = any>(rel: string, options?: ReadOptions): Promise<T | undefined>;
  async readJson<T>(rel: string, options: ReadOptions = {}): Promise<T | undefined> {
    const text = await this.readText(rel, options);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new CnbError(`${rel}: ${describeJsonError(text, err as Error)}`, { cause: err });
    }
  }

  /** Reads and parses a TOML file (syntax errors name file, line and column). */
  // biome-ignore lint/suspicious/noExplicitAny: TOML from the app is untyped until the buildpack checks it
  readToml<T = any>(rel: string): Promise<T>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  readToml<T = any>(rel: string, options: ReadOptions & { optional: true }): Promise<T | undefined>;
  async readToml<T>(rel: string, options: ReadOptions = {}): Promise<T | undefined> {
    const text = await this.readText(rel, options);
    if (text === undefined) return undefined;
    const { parseToml } = await import("../cnb-files/toml.js");
    return parseToml(text, rel) as T;
  }
}

/** "invalid JSON at line 3: Unexpected token '}'" from V8's message and our own scan. */
function describeJsonError(text: string, err: Error): string {
  if (text.trim() === "") return "invalid JSON: the file is empty";
  const message = err.message
    .replace(/ in JSON at position \d+.*$/s, "")
    .replace(/^(Unexpected token '.+?'), .* is not valid JSON$/s, "$1");
  const offset = jsonErrorOffset(text);
  if (offset === undefined) return `invalid JSON: ${message}`;
  const before = text.slice(0, offset).split("\n");
  return `invalid JSON at line ${before.length}, column ${before.at(-1)!.length + 1}: ${message}`;
}

/** The buildpack itself: `ctx.buildpack`. */
export interface BuildpackSelf<M> {
  /** The buildpack directory (CNB_BUILDPACK_DIR). */
  dir: string;
  /** buildpack.toml, parsed and validated; `metadata` is typed by the buildpack's guard. */
  descriptor: BuildpackDescriptor<M>;
  /** Shorthands for descriptor.buildpack.id/version and descriptor.metadata. */
  id: string;
  version: string;
  metadata: M;
  /**
   * `[metadata]` as written, before the guard. The framework reads the dependency
   * inventory from here, so a guard need not carry `dependencies` through.
   */
  rawMetadata: Record<string, unknown>;
}

/** Platform input: `ctx.platform`. */
export interface PlatformInput {
  /** The platform directory (CNB_PLATFORM_DIR). */
  dir: string;
  /** `<platform>/env/` as name → value. */
  env: Record<string, string>;
  /** Service bindings (SERVICE_BINDING_ROOT or `<platform>/bindings`). */
  bindings: Bindings;
}

/** What detect and build both get. */
export interface PhaseContext<M> {
  app: AppFiles;
  buildpack: BuildpackSelf<M>;
  platform: PlatformInput;
  target: BuildTarget;
  /** CNB_EXEC_ENV: "production" unless the platform says otherwise. */
  execEnv: string;
  /** The process environment the phase runs with (BP_* variables live here). */
  env: Environment;
  log: Logger;
}

/** A plan alternative as detect writes it; omitted lists are empty. */
export interface PlanInput {
  provides?: Provide[];
  requires?: Require[];
}

/** What detect returns: build this app (with plan alternatives), or not. */
export type DetectResult = { kind: "pass"; plans: BuildPlan[] } | { kind: "fail"; reason?: string };

/** The detect context: the shared context plus the two results. */
export interface DetectContext<M> extends PhaseContext<M> {
  /** Passes with a plan; further arguments are `[[or]]` alternatives. */
  pass(plan?: PlanInput, ...or: PlanInput[]): DetectResult;
  /** Does not apply to this app (exit 100); the reason is logged. */
  fail(reason?: string): DetectResult;
}

/** How a phase is run: where its inputs are and where its output goes. */
export interface PhaseIO {
  /** The environment (process.env for a real run). */
  env: Environment;
  /** Positional arguments after the program (older lifecycles pass paths this way). */
  args: readonly string[];
  /** The path the program was invoked as (bin/detect, bin/build). */
  script: string;
  /** The working directory: the app. */
  cwd: string;
  /** Where log lines go, one at a time (default stdout). */
  sink?: (line: string) => void;
  /** The running program, for `execD.addSelf`. */
  self?: () => Promise<string>;
}

/** Builds the context both phases share. */
export async function phaseContext<M>(
  def: BuildpackDefinition<M>,
  io: PhaseIO,
  dirs: { app: string; buildpack: string; platform: string },
): Promise<PhaseContext<M>> {
  const log = createLogger({ env: io.env, ...(io.sink ? { sink: io.sink, color: false } : {}) });
  const raw = await readBuildpackToml(dirs.buildpack);
  const descriptor: BuildpackDescriptor<M> = {
    ...raw,
    metadata: checkMetadata(raw.metadata, join(dirs.buildpack, "buildpack.toml"), def.metadata),
  };
  return {
    app: new AppFiles(dirs.app),
    buildpack: {
      dir: dirs.buildpack,
      descriptor,
      id: descriptor.buildpack.id,
      version: descriptor.buildpack.version,
      metadata: descriptor.metadata,
      rawMetadata: raw.metadata,
    },
    platform: {
      dir: dirs.platform,
      env: await readPlatformEnv(dirs.platform),
      bindings: await Bindings.load(io.env, dirs.platform),
    },
    target: readTarget(io.env),
    execEnv: readExecEnv(io.env),
    env: io.env,
    log,
  };
}

/**
 * Runs detect: builds the context, calls the buildpack, writes the plan on pass.
 * Throws on error (the entry point turns that into exit 1).
 */
export async function runDetectPhase<M>(def: BuildpackDefinition<M>, io: PhaseIO): Promise<DetectResult> {
  const paths = detectPaths(io.env, io.args, io.script, io.cwd);
  const base = await phaseContext(def, io, paths);
  const ctx: DetectContext<M> = {
    ...base,
    pass: (plan, ...or) => ({ kind: "pass", plans: [plan ?? {}, ...or].map(toPlan) }),
    fail: (reason) => (reason === undefined ? { kind: "fail" } : { kind: "fail", reason }),
  };
  const result = await def.detect(ctx);
  if (!result || (result.kind !== "pass" && result.kind !== "fail")) {
    throw new CnbError("detect must return ctx.pass(...) or ctx.fail(...)");
  }
  if (result.kind === "pass") {
    const text =
      buildPlanText(result.plans) ?? (await import("../cnb-files/build-plan.js")).stringifyBuildPlan(result.plans);
    await writeFile(paths.plan, text);
  } else if (result.reason) {
    base.log.step(`Skipped: ${result.reason}`);
  }
  return result;
}

function toPlan(p: PlanInput): BuildPlan {
  return { provides: p.provides ?? [], requires: p.requires ?? [] };
}
