/**
 * Environment deltas: what a layer changes in the environment of later buildpacks (build)
 * and of the launched app (launch).
 *
 * An {@link EnvDelta} is a pure value — a list of operations with no I/O — so a build can
 * declare it, {@link writeEnvDelta} can write it as the spec's env files, and
 * {@link applyEnv} can compute, in memory, the environment the lifecycle would produce.
 *
 * ```ts
 * layer.env.launch.default("NODE_ENV", "production");   // env.launch/NODE_ENV.default
 * layer.env.build.prepend("PATH", dir, ":");            // env.build/PATH.prepend + PATH.delim
 * layer.env.process("web").override("PORT", "8080");    // env.launch/web/PORT.override
 * layer.env.override("JAVA_HOME", layer.path);          // env/JAVA_HOME.override (build and launch)
 * ```
 *
 * The rules follow the Buildpack API 0.12 "Environment" section and the lifecycle's own
 * implementation (env/env.go): within a layer, files apply in file-name order; `default`
 * sets a variable only when it is empty; `prepend`/`append` join with the `.delim` file's
 * content (nothing when there is none). Implicit layer paths (`bin/` → PATH, `lib/` →
 * LD_LIBRARY_PATH, ...) are prepended with ':'.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir } from "../fs/index.js";
import { basename, join } from "node:path";
import { validateEnvName, validateProcessType } from "../cnb-files/index.js";
import { writeAtomic } from "../fs/index.js";

/** How an env file modifies its variable (the file-name suffix). */
export type EnvOp = "override" | "default" | "append" | "prepend";

/**
 * The env directory an operation is written to, relative to the layer:
 * `env` (build and launch), `env.build`, `env.launch` or `env.launch/<process>`.
 */
export type EnvDir = "env" | "env.build" | "env.launch" | `env.launch/${string}`;

/** One operation of an {@link EnvDelta}: the file `<layer>/<dir>/<name>.<op>` containing `value`. */
export interface EnvEntry {
  dir: EnvDir;
  name: string;
  op: EnvOp;
  value: string;
  /** For append/prepend: the separator, written as `<name>.delim`. No delimiter when absent. */
  delim?: string;
}

/** The operations available in one scope (all phases, build, launch, or one process). */
export class EnvScope {
  constructor(
    protected readonly ops: EnvEntry[],
    private readonly dir: EnvDir,
  ) {}

  /** Sets `name` to `value`, replacing what earlier layers set. */
  override(name: string, value: string): this {
    return this.add(name, "override", value);
  }

  /** Sets `name` only when it is unset or empty. */
  default(name: string, value: string): this {
    return this.add(name, "default", value);
  }

  /** Appends `value`, separated by `delim` from an existing value (nothing when omitted). */
  append(name: string, value: string, delim?: string): this {
    return this.add(name, "append", value, delim);
  }

  /** Prepends `value`, separated by `delim` from an existing value (nothing when omitted). */
  prepend(name: string, value: string, delim?: string): this {
    return this.add(name, "prepend", value, delim);
  }

  private add(name: string, op: EnvOp, value: string, delim?: string): this {
    validateEnvName(name, `env ${op}`);
    // One file per (dir, name, op): a second call replaces the first, as the file would.
    const i = this.ops.findIndex((e) => e.dir === this.dir && e.name === name && e.op === op);
    const entry: EnvEntry = { dir: this.dir, name, op, value };
    if (delim !== undefined) entry.delim = delim;
    if (i >= 0) this.ops[i] = entry;
    else this.ops.push(entry);
    return this;
  }
}

/**
 * A layer's environment changes. The methods of the delta itself apply to build and launch
 * (`env/`); `.build`, `.launch` and `.process(type)` narrow the scope.
 */
export class EnvDelta extends EnvScope {
  /** Operations for later buildpacks only (`env.build/`). */
  readonly build: EnvScope;
  /** Operations for the launched app only (`env.launch/`). */
  readonly launch: EnvScope;

  constructor(entries: EnvEntry[] = []) {
    super(entries, "env");
    this.build = new EnvScope(entries, "env.build");
    this.launch = new EnvScope(entries, "env.launch");
  }

  /** Every operation, in the order declared. */
  get entries(): readonly EnvEntry[] {
    return this.ops;
  }

  /** Operations for one launched process type (`env.launch/<type>/`). */
  process(type: string): EnvScope {
    validateProcessType(type, "env process type");
    return new EnvScope(this.ops, `env.launch/${type}`);
  }

  /** True when nothing has been declared. */
  get isEmpty(): boolean {
    return this.entries.length === 0;
  }
}

/** The file name an entry is written as: `<name>.<op>`. */
function fileName(e: EnvEntry): string {
  return `${e.name}.${e.op}`;
}

/**
 * Writes a delta into `layerDir` as the spec's env files (`env/NODE_ENV.default`, ...),
 * each through a temp file and a rename so no file is ever half-written.
 */
export async function writeEnvDelta(layerDir: string, delta: EnvDelta): Promise<void> {
  for (const e of delta.entries) {
    const dir = join(layerDir, e.dir);
    await mkdir(dir, { recursive: true });
    await writeAtomic(join(dir, fileName(e)), e.value);
    if (e.delim !== undefined) await writeAtomic(join(dir, `${e.name}.delim`), e.delim);
  }
}

const OPS: readonly string[] = ["override", "default", "append", "prepend"];

/**
 * Reads the env files of a layer directory back into a delta (as the lifecycle reads them:
 * a bare name means override, unknown suffixes are ignored). Synchronous, so tests can call
 * it inline.
 */
export function readEnvDelta(layerDir: string): EnvDelta {
  const entries: EnvEntry[] = [];
  const dirs: EnvDir[] = ["env", "env.build", "env.launch"];
  for (const sub of listDir(join(layerDir, "env.launch"))) {
    if (isDir(join(layerDir, "env.launch", sub))) dirs.push(`env.launch/${sub}`);
  }
  for (const dir of dirs) {
    const path = join(layerDir, dir);
    const files = listDir(path).filter((f) => !isDir(join(path, f)));
    const delims = new Map<string, string>();
    for (const f of files) if (f.endsWith(".delim")) delims.set(f.slice(0, -".delim".length), read(join(path, f)));
    for (const f of files) {
      const dot = f.indexOf(".");
      const name = dot < 0 ? f : f.slice(0, dot);
      const op = dot < 0 ? "override" : f.slice(dot + 1);
      if (!OPS.includes(op)) continue;
      const entry: EnvEntry = { dir, name, op: op as EnvOp, value: read(join(path, f)) };
      const delim = delims.get(name);
      if (delim !== undefined && (op === "append" || op === "prepend")) entry.delim = delim;
      entries.push(entry);
    }
  }
  return new EnvDelta(entries);
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function read(path: string): string {
  return readFileSync(path, "utf8");
}

/** A layer as {@link applyEnv} sees it. */
export interface EnvLayer {
  /** The layer directory (its `bin/`, `lib/`, ... are looked up on disk). */
  path: string;
  types: { build: boolean; launch: boolean };
  /** The layer's env; read from the env files under `path` when omitted. */
  delta?: EnvDelta;
  /** The buildpack that wrote it; layers of one buildpack must be adjacent. */
  buildpack?: string;
}

/** Whose environment to compute: a later buildpack's build, or a launched process (type optional). */
export type EnvTarget = "build" | { launch: string | undefined };

/** Implicit layer paths for build (spec "Layer Paths"), prepended with ':'. */
const BUILD_ROOTS: Record<string, string[]> = {
  bin: ["PATH"],
  lib: ["LD_LIBRARY_PATH", "LIBRARY_PATH"],
  include: ["CPATH"],
  pkgconfig: ["PKG_CONFIG_PATH"],
};

/** Implicit layer paths for launch. */
const LAUNCH_ROOTS: Record<string, string[]> = { bin: ["PATH"], lib: ["LD_LIBRARY_PATH"] };

/**
 * The environment a later buildpack (`"build"`) or a launched process (`{ launch: type }`)
 * sees, given the base environment and layers in group order (within a buildpack, layers
 * are applied alphabetically, as the lifecycle does).
 *
 * Build: for each `build = true` layer, its `bin/`, `lib/`, `include/`, `pkgconfig/` are
 * prepended, then `env/` and `env.build/` apply. Launch: per buildpack, the `bin/` and
 * `lib/` of every `launch = true` layer first, then each layer's `env/`, `env.launch/` and
 * `env.launch/<type>/`.
 *
 * @example
 * applyEnv({ PATH: "/usr/bin" }, [{ path: "/layers/bp/node", types: { build: true, launch: true } }], "build").PATH
 * // "/layers/bp/node/bin:/usr/bin" when the layer has a bin/ directory
 */
export function applyEnv(
  base: Record<string, string | undefined>,
  layers: readonly EnvLayer[],
  target: EnvTarget,
): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) vars[k] = v;
  for (const group of groupByBuildpack(layers)) {
    if (target === "build") {
      for (const layer of group.filter((l) => l.types.build)) {
        addRoots(vars, layer.path, BUILD_ROOTS);
        const delta = layer.delta ?? readEnvDelta(layer.path);
        applyDir(vars, delta, "env");
        applyDir(vars, delta, "env.build");
      }
    } else {
      const launched = group.filter((l) => l.types.launch);
      for (const layer of launched) addRoots(vars, layer.path, LAUNCH_ROOTS);
      for (const layer of launched) {
        const delta = layer.delta ?? readEnvDelta(layer.path);
        applyDir(vars, delta, "env");
        applyDir(vars, delta, "env.launch");
        if (target.launch !== undefined) applyDir(vars, delta, `env.launch/${target.launch}`);
      }
    }
  }
  return vars;
}

function groupByBuildpack(layers: readonly EnvLayer[]): EnvLayer[][] {
  const groups: EnvLayer[][] = [];
  let current: EnvLayer[] | undefined;
  let id: string | undefined;
  for (const layer of layers) {
    if (!current || layer.buildpack !== id) {
      current = [];
      groups.push(current);
      id = layer.buildpack;
    }
    current.push(layer);
  }
  const byName = (a: EnvLayer, b: EnvLayer) => compare(basename(a.path), basename(b.path));
  return groups.map((g) => g.sort(byName));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function addRoots(vars: Record<string, string>, layerPath: string, roots: Record<string, string[]>): void {
  for (const [sub, names] of Object.entries(roots)) {
    const child = join(layerPath, sub);
    if (!existsSync(child)) continue;
    for (const name of names) vars[name] = vars[name] ? `${child}:${vars[name]}` : child;
  }
}

function applyDir(vars: Record<string, string>, delta: EnvDelta, dir: EnvDir): void {
  // The lifecycle reads a directory's files in name order; do the same so memory matches disk.
  const entries = delta.entries.filter((e) => e.dir === dir).sort((a, b) => compare(fileName(a), fileName(b)));
  for (const e of entries) {
    const current = vars[e.name] ?? "";
    // One `<name>.delim` file per directory serves both append and prepend; the last written wins.
    const delim = entries.findLast((x) => x.name === e.name && x.delim !== undefined)?.delim ?? "";
    switch (e.op) {
      case "override":
        vars[e.name] = e.value;
        break;
      case "default":
        if (current === "") vars[e.name] = e.value;
        break;
      case "prepend":
        vars[e.name] = current === "" ? e.value : e.value + delim + current;
        break;
      case "append":
        vars[e.name] = current === "" ? e.value : current + delim + e.value;
        break;
    }
  }
}
