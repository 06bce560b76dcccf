/**
 * `[metadata.cnbkit] helpers` of buildpack.toml: static Go programs staged into the
 * buildpack's `bin/`, one per target arch, for places the buildpack's Node cannot go (an
 * exec.d program in an app image whose run image has no shell). The build copies one from
 * `$CNB_BUILDPACK_DIR/bin/<name>` into a layer.
 *
 * ```toml
 * [metadata.cnbkit]
 *   helpers = { jvm-helper = "helper" }   # name in bin/ = a Go main package, relative to the buildpack
 * ```
 *
 * The table is checked here, where it is read, each problem one line; the build itself is
 * the compile stage's (../compile/go-helper.ts).
 */
import { statSync } from "node:fs";
import { chmod, copyFile, mkdir, rename } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import type { BuildpackDescriptor } from "@cnbkit/framework/cnb-files";
import { buildGoHelper, type CompileTarget, type GoArch } from "../compile/index.js";

/** One declared helper: its file name in bin/ and its source directory. */
export interface HelperSource {
  name: string;
  /** Absolute source directory. */
  dir: string;
  /** The directory as buildpack.toml gives it. */
  declared: string;
}

/** A name that is a plain file name in bin/, as exec.d program names are. */
const NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** bin/ entries the buildpack itself uses. */
const RESERVED = new Set(["detect", "build", "generate", "main"]);

/**
 * The helpers `[metadata.cnbkit] helpers` declares, checked: names are file names that are
 * not the buildpack's own bin/ entries, and each directory, relative to the buildpack, exists.
 *
 * @example
 * declaredHelpers("buildpacks/java", descriptor); // [{ name: "jvm-helper", dir: "/…/buildpacks/java/helper", declared: "helper" }]
 */
export function declaredHelpers(dir: string, descriptor: BuildpackDescriptor<unknown>): HelperSource[] {
  const raw = (descriptor.metadata as { cnbkit?: { helpers?: unknown } } | undefined)?.cnbkit?.helpers;
  if (raw === undefined) return [];
  const where = `${join(dir, "buildpack.toml")}: [metadata.cnbkit].helpers`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new CnbError(`${where} must be a table of name = "directory", such as { jvm-helper = "helper" }`);
  }
  if (descriptor.order.length > 0) throw new CnbError(`${where}: a composite buildpack has no bin/ to hold helpers`);
  const root = resolve(dir);
  return Object.entries(raw as Record<string, unknown>).map(([name, value]) => {
    if (!NAME.test(name)) {
      throw new CnbError(
        `${where}: helper name "${name}" may only contain lowercase letters, digits, '.', '_' and '-' (it is a file name in bin/)`,
      );
    }
    if (RESERVED.has(name)) throw new CnbError(`${where}: helper name "${name}" is the buildpack's own bin/${name}`);
    if (typeof value !== "string" || value === "") {
      throw new CnbError(`${where}.${name} must be a directory relative to the buildpack, such as "helper"`);
    }
    // Relative, as `entry` is: a descriptor generated elsewhere (a local builder's) points back with ../.
    if (isAbsolute(value)) {
      throw new CnbError(`${where}.${name}: "${value}" must be a directory relative to the buildpack, not absolute`);
    }
    const src = resolve(root, value);
    if (!statSync(src, { throwIfNoEntry: false })?.isDirectory()) {
      throw new CnbError(`${where}.${name}: directory "${value}" does not exist in ${root}`);
    }
    return { name, dir: src, declared: value };
  });
}

/**
 * Builds each helper for each target (or reuses the cached binary) and copies it to
 * `<stage>/bin/<name>`, mode 0755.
 */
export async function stageHelpers(
  helpers: HelperSource[],
  stages: Record<string, string>,
  buildpack: string,
  options: { cacheDir?: string; onProgress?: (line: string) => void } = {},
): Promise<void> {
  const progress = options.onProgress ?? (() => {});
  for (const helper of helpers) {
    for (const [target, stage] of Object.entries(stages)) {
      const arch = (target as CompileTarget).split("/")[1] as GoArch;
      const started = Date.now();
      const bin = await buildGoHelper({
        dir: helper.dir,
        arch,
        who: `${buildpack} helper "${helper.name}" (${helper.dir})`,
        ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
        onProgress: progress,
      });
      const how = bin.reused ? "reused" : `built in ${((Date.now() - started) / 1000).toFixed(1)} s`;
      progress(
        `Helper ${helper.name} for ${target}: ${(bin.size / 1024 / 1024).toFixed(1)} MB, static (${bin.goVersion}, ${how})`,
      );
      const dest = join(stage, "bin", helper.name);
      await mkdir(join(stage, "bin"), { recursive: true });
      await copyFile(bin.path, `${dest}.tmp-${process.pid}`);
      await chmod(`${dest}.tmp-${process.pid}`, 0o755);
      await rename(`${dest}.tmp-${process.pid}`, dest);
    }
  }
}
