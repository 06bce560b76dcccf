/**
 * Staging: turning a buildpack's source directory into the directory the lifecycle runs
 * (buildpack.toml + bin/, plus bundled dependencies when offline), once per target.
 *
 * A framework buildpack has an entry file — `[metadata.cnbkit] entry` in buildpack.toml,
 * else `src/index.ts` — that the compile stage turns into `bin/main` with `bin/detect` and
 * `bin/build` linking to it; only buildpack.toml and bin/ are staged (sources,
 * node_modules and package.json stay behind). A directory with no entry but a
 * `bin/detect` is a prebuilt buildpack (shell scripts, Go binaries) and is staged whole,
 * as pack would package it. Either way, the static Go helpers `[metadata.cnbkit] helpers`
 * declares (helpers.ts) are built per target into bin/.
 */
import { existsSync } from "node:fs";
import { cp, link, mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { PARSED_BUILDPACK_TOML } from "@cnbkit/framework/packaging";
import {
  type BuildpackDescriptor,
  buildpackDirName,
  inlineTomlValue,
  parseToml,
  stringifyToml,
  type TomlTable,
} from "@cnbkit/framework/cnb-files";
import { download, parseInventory } from "@cnbkit/framework/dependencies";
import { isFile } from "@cnbkit/framework/fs";
import { type CompileForm, compileBuildpack, type CompileTarget, type RuntimeModule } from "../compile/index.js";
import { declaredHelpers, stageHelpers } from "./helpers.js";
import { targetAdmits } from "./targets.js";

/** How the buildpack's bin/ is produced. */
export type BuildpackKind = { kind: "compiled"; entry: string } | { kind: "prebuilt" } | { kind: "composite" };

/** The entry file a buildpack dir compiles from, or that it is prebuilt/composite. */
export async function buildpackKind(dir: string, d: BuildpackDescriptor<unknown>): Promise<BuildpackKind> {
  if (d.order.length > 0) return { kind: "composite" };
  const meta = (d.metadata as { cnbkit?: { entry?: unknown } } | undefined)?.cnbkit;
  const tomlPath = join(dir, "buildpack.toml");
  if (meta?.entry !== undefined) {
    if (typeof meta.entry !== "string" || meta.entry === "") {
      throw new CnbError(`${tomlPath}: [metadata.cnbkit].entry must be a non-empty string`);
    }
    const entry = resolve(dir, meta.entry);
    if (!(await isFile(entry)))
      throw new CnbError(`${tomlPath}: [metadata.cnbkit].entry "${meta.entry}" does not exist`);
    return { kind: "compiled", entry };
  }
  const entry = join(dir, "src", "index.ts");
  if (await isFile(entry)) return { kind: "compiled", entry };
  if (existsSync(join(dir, "bin", "detect"))) return { kind: "prebuilt" };
  throw new CnbError(`${dir}: no buildpack entry (src/index.ts or [metadata.cnbkit].entry) and no bin/detect`, {
    hint: "write src/index.ts that calls buildpack({ detect, build }), or set [metadata.cnbkit] entry",
  });
}

/** Options of {@link stageBuildpack}. */
export interface StageOptions {
  /** The buildpack's source directory (holding buildpack.toml). */
  dir: string;
  descriptor: BuildpackDescriptor<unknown>;
  targets: CompileTarget[];
  /** A scratch directory this call may fill. */
  workDir: string;
  /** Download every inventory dependency into the stage and point its uri at it. */
  offline?: boolean;
  /** A compiled buildpack's form (default `shared`: it runs on the runtime buildpack). */
  form?: CompileForm;
  onProgress?: (line: string) => void;
}

/** What {@link stageBuildpack} made: a directory per target, and the runtime each needs. */
export interface StagedBuildpack {
  /** Target (`os/arch`) → staged directory. */
  dirs: Record<string, string>;
  /** Target → the runtime buildpack a shared-form compiled buildpack runs on. */
  runtimes: Record<string, RuntimeModule>;
}

/**
 * Stages the buildpack once per target. Composites stage just their buildpack.toml.
 */
export async function stageBuildpack(options: StageOptions): Promise<StagedBuildpack> {
  const { dir, descriptor, targets, workDir } = options;
  const progress = options.onProgress ?? (() => {});
  const kind = await buildpackKind(dir, descriptor);
  const helpers = declaredHelpers(dir, descriptor);
  const stages: Record<string, string> = {};
  const runtimes: Record<string, RuntimeModule> = {};
  if (kind.kind === "compiled") {
    const outDir = join(workDir, "compiled");
    const { id, version } = descriptor.buildpack;
    progress(`Compiling ${id} ${version} for ${targets.join(", ")}`);
    const compiled = await compileBuildpack({
      entry: kind.entry,
      outDir,
      targets,
      form: options.form ?? "shared",
      buildpack: { id, version },
      onProgress: (e) => progress(e.message),
    });
    for (const t of targets) {
      stages[t] = join(outDir, `linux-${t.split("/")[1]}`);
      const runtime = compiled[t]?.runtime;
      if (runtime) runtimes[t] = runtime;
    }
  } else {
    for (const t of targets) {
      const stage = join(workDir, "staged", t.replace("/", "-"));
      await mkdir(dirname(stage), { recursive: true });
      if (kind.kind === "prebuilt") await cp(dir, stage, { recursive: true, verbatimSymlinks: true });
      else await mkdir(stage, { recursive: true });
      stages[t] = stage;
    }
  }
  await stageHelpers(helpers, stages, `${descriptor.buildpack.id} ${descriptor.buildpack.version}`, {
    onProgress: progress,
  });
  let tomlText = await readFile(join(dir, "buildpack.toml"), "utf8");
  const tomlPath = join(dir, "buildpack.toml");
  // A compiled bin/main runs on its target only, so its buildpack.toml claims that one.
  const narrow = kind.kind === "compiled" && descriptor.targets.length > 0;
  if (options.offline) {
    const byTarget = await bundleDependencies(options, join(workDir, "downloads"), progress);
    for (const t of targets) {
      await writeStagedToml(stages[t] as string, byTarget.rewriteToml(t, narrow), t in runtimes);
      await byTarget.place(t, stages[t] as string);
    }
    return { dirs: stages, runtimes };
  }
  if (kind.kind !== "prebuilt") {
    tomlText = tomlText.endsWith("\n") ? tomlText : `${tomlText}\n`;
    for (const t of targets) {
      const text = narrow ? stringifyToml(narrowTargets(parseToml(tomlText, tomlPath), t)) : tomlText;
      await writeStagedToml(stages[t] as string, text, t in runtimes);
    }
  }
  return { dirs: stages, runtimes };
}

/**
 * Writes the staged buildpack.toml and, for a buildpack on the shared runtime, its parsed
 * copy (PARSED_BUILDPACK_TOML), which a detect reads instead of loading a TOML parser. No
 * copy when JSON cannot hold the table as parsed (a TOML date, nan or inf).
 */
export async function writeStagedToml(stage: string, text: string, sharedRuntime: boolean): Promise<void> {
  const path = join(stage, "buildpack.toml");
  await writeFile(path, text);
  if (!sharedRuntime) return;
  const table = parseToml(text, path);
  // inlineTomlValue has a form for exactly the values JSON keeps as they are.
  if (inlineTomlValue(table) === undefined) return;
  await writeFile(join(stage, PARSED_BUILDPACK_TOML), `${JSON.stringify({ text, table })}\n`);
}

/**
 * buildpack.toml's `[[targets]]` reduced to the entries a build for `target` satisfies, each
 * narrowed to it (as `targetsBuiltFor` does for the label); other keys stay as written.
 */
function narrowTargets(doc: TomlTable, target: string): TomlTable {
  const [os, arch, variant] = target.split("/") as [string, string, string | undefined];
  const platform = { os, architecture: arch, ...(variant ? { variant } : {}) };
  const kept: TomlTable[] = [];
  for (const t of (Array.isArray(doc.targets) ? doc.targets : []) as TomlTable[]) {
    const declared = {
      os: t.os as string | undefined,
      arch: t.arch as string | undefined,
      variant: t.variant as string | undefined,
    };
    if (!targetAdmits(declared, platform)) continue;
    const entry: TomlTable = { ...t, os, arch };
    const v = declared.variant ?? variant;
    if (v) entry.variant = v;
    if (!kept.some((k) => JSON.stringify(k) === JSON.stringify(entry))) kept.push(entry);
  }
  return { ...doc, targets: kept };
}

/** The path of an offline dependency inside the buildpack dir. */
export function offlineDependencyPath(sha256: string, fileName: string): string {
  return `dependencies/${sha256}/${fileName}`;
}

async function bundleDependencies(
  options: StageOptions,
  downloadDir: string,
  progress: (line: string) => void,
): Promise<{
  rewriteToml(target: string, narrow: boolean): string;
  place(target: string, stage: string): Promise<void>;
}> {
  const { dir, descriptor } = options;
  const tomlPath = join(dir, "buildpack.toml");
  const deps = parseInventory(descriptor.metadata, tomlPath);
  const files = new Map<string, string>();
  for (const dep of deps) {
    if (files.has(dep.sha256)) continue;
    if (!options.targets.some((t) => matchesTarget(dep, t))) continue;
    progress(`Downloading ${dep.id} ${dep.version}${dep.arch ? ` (${dep.arch})` : ""}`);
    const file = await download(dep, join(downloadDir, dep.sha256), {
      env: process.env,
      log: { detail: progress, warn: (t) => progress(`warning: ${t}`) },
    });
    files.set(dep.sha256, file);
  }
  const raw = parseToml(await readFile(tomlPath, "utf8"), tomlPath);
  const rawDeps = ((raw.metadata as Record<string, unknown>)?.dependencies ?? []) as Record<string, unknown>[];
  const base = `/cnb/buildpacks/${buildpackDirName(descriptor.buildpack.id)}/${descriptor.buildpack.version}`;
  return {
    rewriteToml(target, narrow) {
      const copy = narrow ? narrowTargets(structuredClone(raw), target) : structuredClone(raw);
      const list = ((copy.metadata as Record<string, unknown>)?.dependencies ?? []) as Record<string, unknown>[];
      deps.forEach((dep, i) => {
        const file = files.get(dep.sha256);
        const entry = list[i];
        if (!file || !entry || !matchesTarget(dep, target)) return;
        entry.uri = `file://${base}/${offlineDependencyPath(dep.sha256, basename(file))}`;
      });
      if (rawDeps.length !== deps.length) throw new Error("inventory and buildpack.toml disagree");
      return stringifyToml(copy);
    },
    async place(target, stage) {
      for (const dep of deps) {
        const file = files.get(dep.sha256);
        if (!file || !matchesTarget(dep, target)) continue;
        const dest = join(stage, offlineDependencyPath(dep.sha256, basename(file)));
        if (existsSync(dest)) continue;
        await mkdir(dirname(dest), { recursive: true });
        await link(file, dest).catch(() => cp(file, dest));
      }
    },
  };
}

const ARCH_ALIASES: Record<string, string> = { x86_64: "amd64", x64: "amd64", aarch64: "arm64" };

/** A dependency belongs in a target's package when its os/arch are unset or match. */
function matchesTarget(dep: { os?: string; arch?: string }, target: string): boolean {
  const [os, arch] = target.split("/");
  if (dep.os && dep.os !== os) return false;
  if (dep.arch && (ARCH_ALIASES[dep.arch] ?? dep.arch) !== arch) return false;
  return true;
}
