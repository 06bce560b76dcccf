/**
 * builder.toml, pack's builder config: `[[buildpacks]]`, `[[order]]`, `[build]` with
 * `[[build.env]]`, `[run] [[run.images]]`, `[lifecycle]`, `[[targets]]`, `[system]` (pack
 * 0.36+: `[[system.pre.buildpacks]]` and `[[system.post.buildpacks]]`), and the
 * deprecated `[stack]` (merged into build/run the way pack does, with a warning), and the
 * image extensions: `[[extensions]]` (id, version, uri) and `[[order-extensions]]`.
 * Every problem is one line naming the file and field.
 */
import { readFile } from "node:fs/promises";
import { CnbError } from "@cnbkit/framework";
import { type Target, validateBuildpackId, parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { moduleRef } from "../package/index.js";
import type { LifecycleConfig } from "./lifecycle-binary.js";

/** One `[[buildpacks]]` entry. */
export interface BuilderBuildpack {
  id?: string;
  version?: string;
  uri?: string;
  image?: string;
}

/** One `[[extensions]]` entry: an extension directory (extension.toml, bin/detect, bin/generate). */
export interface BuilderExtension {
  id?: string;
  version?: string;
  uri: string;
}

/** One `[[order.group]]` entry. */
export interface BuilderOrderEntry {
  id: string;
  version?: string;
  optional?: boolean;
}

/** The suffixes a build-config env file may have. */
export type EnvSuffix = "" | "default" | "override" | "append" | "prepend";

/** One `[[build.env]]` entry. */
export interface BuildEnv {
  name: string;
  value: string;
  suffix: EnvSuffix;
  delim?: string;
}

/** One `[[run.images]]` entry. */
export interface RunImage {
  image: string;
  mirrors: string[];
}

/**
 * `[system]`: buildpacks the lifecycle (Platform API 0.15) puts before (`pre`) and after
 * (`post`) every group of the order at detect, unless the group has them already.
 */
export interface BuilderSystem {
  pre: BuilderOrderEntry[];
  post: BuilderOrderEntry[];
}

/** builder.toml, typed and checked. */
export interface BuilderConfig {
  description: string;
  buildpacks: BuilderBuildpack[];
  order: { group: BuilderOrderEntry[] }[];
  /** Empty when builder.toml has no `[[extensions]]`. */
  extensions: BuilderExtension[];
  /** Empty when builder.toml has no `[[order-extensions]]`. */
  orderExtensions: { group: BuilderOrderEntry[] }[];
  /** Empty lists when builder.toml has no `[system]`. */
  system: BuilderSystem;
  build: { image: string; env: BuildEnv[] };
  run: { images: RunImage[] };
  lifecycle: LifecycleConfig;
  /** Empty when builder.toml has no `[[targets]]`. */
  targets: Target[];
  /** The deprecated `[stack]` id, when given (written to stack.toml). */
  stackId?: string;
  /** Things the user should know (deprecated keys, empty values). */
  warnings: string[];
}

const TOP_KEYS = new Set([
  "description",
  "buildpacks",
  "order",
  "system",
  "build",
  "run",
  "lifecycle",
  "targets",
  "stack",
  "extensions",
  "order-extensions",
]);
const SUFFIXES = new Set(["", "default", "override", "append", "prepend"]);

function table(v: unknown, file: string, where: string): TomlTable | undefined {
  if (v === undefined) return undefined;
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new CnbError(`${file}: ${where} must be a table`);
  return v as TomlTable;
}

function tables(v: unknown, file: string, where: string): TomlTable[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new CnbError(`${file}: ${where} must be an array of tables ([[...]])`);
  return v.map((t, i) => table(t, file, `${where}[${i}]`) as TomlTable);
}

function str(t: TomlTable, key: string, file: string, where: string, required = false): string | undefined {
  const v = t[key];
  if (v === undefined) {
    if (required) throw new CnbError(`${file}: ${where}.${key} is required`);
    return undefined;
  }
  if (typeof v !== "string") throw new CnbError(`${file}: ${where}.${key} must be a string`);
  if (required && v.trim() === "") throw new CnbError(`${file}: ${where}.${key} must not be empty`);
  return v;
}

function strList(t: TomlTable, key: string, file: string, where: string): string[] {
  const v = t[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new CnbError(`${file}: ${where}.${key} must be an array of strings`);
  }
  return v as string[];
}

/** Parses builder.toml text; `file` names it in errors. */
export function parseBuilderToml(text: string, file: string): BuilderConfig {
  const doc = parseToml(text, file);
  const warnings: string[] = [];
  for (const k of Object.keys(doc)) {
    if (!TOP_KEYS.has(k)) throw new CnbError(`${file}: unknown key "${k}"`);
  }
  const description = doc.description === undefined ? "" : (str(doc, "description", file, "") ?? "");
  const build = table(doc.build, file, "[build]") ?? {};
  const env = parseBuildEnv(build, file, warnings);
  const { buildImage, images, stackId } = parseImages(doc, build, file, warnings);
  return {
    description,
    buildpacks: parseBuildpacks(doc, file),
    order: parseOrder(doc, file),
    ...parseExtensions(doc, file),
    system: parseSystem(doc, file, warnings),
    build: { image: buildImage, env },
    run: { images },
    lifecycle: parseLifecycle(doc, file),
    targets: parseTargets(doc, file),
    ...(stackId ? { stackId } : {}),
    warnings,
  };
}

function parseBuildpacks(doc: TomlTable, file: string): BuilderBuildpack[] {
  return tables(doc.buildpacks, file, "[[buildpacks]]").map((t, i) => {
    const where = `[[buildpacks]][${i}]`;
    const bp: BuilderBuildpack = { ...moduleRef(t, file, where) };
    const id = str(t, "id", file, where);
    if (id !== undefined) bp.id = validateBuildpackId(id, `${file}: ${where}.id`);
    const version = str(t, "version", file, where);
    if (version !== undefined) bp.version = version;
    if (bp.uri === undefined && bp.image === undefined) throw new CnbError(`${file}: ${where} needs a uri or an image`);
    return bp;
  });
}

/** One buildpack reference of a group or of `[system]`: `id`, optional `version` and `optional`. */
function orderEntry(e: TomlTable, file: string, where: string): BuilderOrderEntry {
  const id = str(e, "id", file, where, true) as string;
  const entry: BuilderOrderEntry = { id };
  const version = str(e, "version", file, where);
  if (version) entry.version = version;
  if (e.optional !== undefined) {
    if (typeof e.optional !== "boolean") throw new CnbError(`${file}: ${where}.optional must be true or false`);
    if (e.optional) entry.optional = true;
  }
  return entry;
}

function parseOrder(doc: TomlTable, file: string): { group: BuilderOrderEntry[] }[] {
  const order = tables(doc.order, file, "[[order]]").map((o, i) => {
    const group = tables(o.group, file, `[[order]][${i}].group`).map((e, j) =>
      orderEntry(e, file, `[[order]][${i}].group[${j}]`),
    );
    if (group.length === 0) throw new CnbError(`${file}: [[order]][${i}] has no [[order.group]] entries`);
    return { group };
  });
  if (order.length === 0) throw new CnbError(`${file}: [[order]] is required (at least one group)`);
  return order;
}

/**
 * `[[extensions]]` and `[[order-extensions]]`: both or neither, as the lifecycle's detector
 * needs an order to run extensions and an order needs the extensions it names.
 */
function parseExtensions(
  doc: TomlTable,
  file: string,
): { extensions: BuilderExtension[]; orderExtensions: { group: BuilderOrderEntry[] }[] } {
  const extensions = tables(doc.extensions, file, "[[extensions]]").map((t, i) => {
    const where = `[[extensions]][${i}]`;
    if (t.image !== undefined)
      throw new CnbError(`${file}: ${where}.image is not supported; give a uri (an extension directory)`);
    const ext: BuilderExtension = { uri: str(t, "uri", file, where, true) as string };
    const id = str(t, "id", file, where);
    if (id !== undefined) ext.id = validateBuildpackId(id, `${file}: ${where}.id`);
    const version = str(t, "version", file, where);
    if (version !== undefined) ext.version = version;
    return ext;
  });
  const orderExtensions = tables(doc["order-extensions"], file, "[[order-extensions]]").map((o, i) => {
    const group = tables(o.group, file, `[[order-extensions]][${i}].group`).map((e, j) =>
      orderEntry(e, file, `[[order-extensions]][${i}].group[${j}]`),
    );
    if (group.length === 0)
      throw new CnbError(`${file}: [[order-extensions]][${i}] has no [[order-extensions.group]] entries`);
    return { group };
  });
  if (extensions.length && !orderExtensions.length)
    throw new CnbError(`${file}: [[extensions]] are given but no [[order-extensions]]; add one naming them`);
  if (orderExtensions.length && !extensions.length)
    throw new CnbError(`${file}: [[order-extensions]] is given but no [[extensions]]; add the extensions it names`);
  return { extensions, orderExtensions };
}

/** `[system]`: `[[system.pre.buildpacks]]` and `[[system.post.buildpacks]]`, as pack reads them. */
function parseSystem(doc: TomlTable, file: string, warnings: string[]): BuilderSystem {
  const system = table(doc.system, file, "[system]") ?? {};
  for (const k of Object.keys(system)) {
    if (k !== "pre" && k !== "post")
      throw new CnbError(`${file}: [system] has unknown key "${k}"; it takes pre and post`);
  }
  const list = (side: "pre" | "post"): BuilderOrderEntry[] => {
    const t = table(system[side], file, `[system.${side}]`) ?? {};
    for (const k of Object.keys(t)) {
      if (k !== "buildpacks")
        throw new CnbError(`${file}: [system.${side}] has unknown key "${k}"; it takes buildpacks`);
    }
    return tables(t.buildpacks, file, `[[system.${side}.buildpacks]]`).map((e, i) => {
      const where = `[[system.${side}.buildpacks]][${i}]`;
      const entry = orderEntry(e, file, where);
      // Lifecycle 0.21 reads only id and version of system.toml: every system buildpack must pass detect.
      if (entry.optional)
        warnings.push(`${file}: ${where}.optional is ignored by the lifecycle: ${entry.id} must pass detect`);
      return entry;
    });
  };
  return { pre: list("pre"), post: list("post") };
}

function parseBuildEnv(build: TomlTable, file: string, warnings: string[]): BuildEnv[] {
  return tables(build.env, file, "[[build.env]]").map((e, i) => {
    const where = `[[build.env]][${i}]`;
    const name = str(e, "name", file, where, true) as string;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new CnbError(`${file}: ${where}.name "${name}" is not an environment variable name`);
    }
    const value = str(e, "value", file, where) ?? "";
    if (value === "") warnings.push(`${file}: ${where} (${name}) has an empty value`);
    const suffix = (str(e, "suffix", file, where) ?? "") as EnvSuffix;
    if (!SUFFIXES.has(suffix)) {
      throw new CnbError(`${file}: ${where}.suffix "${suffix}" must be one of default, override, append, prepend`);
    }
    const delim = str(e, "delim", file, where);
    if ((suffix === "append" || suffix === "prepend") && !delim) {
      throw new CnbError(`${file}: ${where} (${name}) with suffix "${suffix}" needs a delim`);
    }
    // pack's builder.toml takes exec-env here and drops it (pack 0.40.6 BuildConfigEnv.ExecEnv is
    // read and never used): /cnb/build-config/env has no place for it, and the lifecycle applies
    // those files in every execution environment. Said, rather than dropped without a word.
    const execEnv = strList(e, "exec-env", file, where);
    if (execEnv.length && !execEnv.includes("*")) {
      warnings.push(
        `${file}: ${where} (${name}) exec-env ${JSON.stringify(execEnv)} is not applied: the lifecycle sets /cnb/build-config/env in every execution environment; use --env or project.toml's [[io.buildpacks.build.env]] per build`,
      );
    }
    return { name, value, suffix, ...(delim ? { delim } : {}) };
  });
}

/** `[build].image` and `[[run.images]]`, merged with the deprecated `[stack]` the way pack does. */
function parseImages(
  doc: TomlTable,
  build: TomlTable,
  file: string,
  warnings: string[],
): { buildImage: string; images: RunImage[]; stackId?: string } {
  const run = table(doc.run, file, "[run]") ?? {};
  const images: RunImage[] = tables(run.images, file, "[[run.images]]").map((r, i) => ({
    image: str(r, "image", file, `[[run.images]][${i}]`, true) as string,
    mirrors: strList(r, "mirrors", file, `[[run.images]][${i}]`),
  }));
  let buildImage = str(build, "image", file, "[build]");
  let stackId: string | undefined;
  const stack = table(doc.stack, file, "[stack]");
  if (stack) {
    warnings.push(`${file}: [stack] is deprecated; use [build] image and [[run.images]]`);
    stackId = str(stack, "id", file, "[stack]");
    const sb = str(stack, "build-image", file, "[stack]");
    const sr = str(stack, "run-image", file, "[stack]");
    if (buildImage && sb && buildImage !== sb) {
      throw new CnbError(`${file}: [build].image "${buildImage}" and [stack].build-image "${sb}" differ`);
    }
    buildImage = buildImage || sb;
    if (images.length === 0 && sr)
      images.push({ image: sr, mirrors: strList(stack, "run-image-mirrors", file, "[stack]") });
    else if (sr && images[0]?.image !== sr) {
      throw new CnbError(`${file}: [[run.images]][0].image "${images[0]?.image}" and [stack].run-image "${sr}" differ`);
    }
  }
  if (!buildImage) throw new CnbError(`${file}: [build].image is required`);
  if (images.length === 0) throw new CnbError(`${file}: [[run.images]] is required (at least one image)`);
  return { buildImage, images, ...(stackId ? { stackId } : {}) };
}

function parseLifecycle(doc: TomlTable, file: string): LifecycleConfig {
  const lc = table(doc.lifecycle, file, "[lifecycle]") ?? {};
  const lifecycle: LifecycleConfig = {};
  const lcUri = str(lc, "uri", file, "[lifecycle]");
  const lcVersion = str(lc, "version", file, "[lifecycle]");
  if (lcUri && lcVersion) throw new CnbError(`${file}: [lifecycle] has both uri and version; give one`);
  if (lcUri) lifecycle.uri = lcUri;
  if (lcVersion) lifecycle.version = lcVersion;
  const sha = lc.sha256;
  if (sha !== undefined) {
    const ok = (v: unknown) => typeof v === "string" && /^[0-9a-f]{64}$/i.test(v);
    const byArch = sha && typeof sha === "object" && !Array.isArray(sha) ? (sha as TomlTable) : undefined;
    if (!ok(sha) && !(byArch && Object.values(byArch).every(ok))) {
      throw new CnbError(`${file}: [lifecycle].sha256 must be a 64-hex sha256 or a table of them by arch`);
    }
    lifecycle.sha256 = sha as string | Record<string, string>;
  }
  return lifecycle;
}

function parseTargets(doc: TomlTable, file: string): Target[] {
  return tables(doc.targets, file, "[[targets]]").map((t, i) => {
    const where = `[[targets]][${i}]`;
    const target: Target = {};
    const os = str(t, "os", file, where);
    const arch = str(t, "arch", file, where);
    const variant = str(t, "variant", file, where);
    if (os) target.os = os;
    if (arch) target.arch = arch;
    if (variant) target.variant = variant;
    const distros = tables(t.distros, file, `${where}.distros`).map((d, j) => ({
      name: str(d, "name", file, `${where}.distros[${j}]`),
      version: str(d, "version", file, `${where}.distros[${j}]`),
    }));
    if (distros.length) target.distros = distros;
    return target;
  });
}

/** Reads and parses a builder.toml file. */
export async function readBuilderToml(path: string): Promise<BuilderConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new CnbError(`${path}: not found`);
    throw new CnbError(`${path}: cannot be read: ${(err as Error).message}`);
  }
  return parseBuilderToml(text, path);
}
