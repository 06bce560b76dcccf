/**
 * buildpack.toml: the buildpack descriptor (Buildpack API 0.10–0.12).
 *
 * TypeScript field names are camelCase; the TOML keys are the spec's kebab-case
 * (`clear-env`, `sbom-formats`, `exec-env`). Parsing validates every field once, here at
 * the edge, and a problem is a CnbError naming the file and field.
 */
import { readFileNow as readFile } from "../fs/now.js";
import { join } from "node:path";
import { CnbError } from "../errors/index.js";
import { apiAtLeast, type BuildpackApi, isSupportedBuildpackApi, SUPPORTED_BUILDPACK_APIS } from "./api.js";
import {
  describe,
  execEnvArray,
  fail,
  isTable,
  metadataTable,
  optBool,
  optStr,
  optStrArray,
  optTable,
  quote,
  reqStr,
  setOpt,
  str,
  tableArray,
} from "./fields.js";
import { validateBuildpackId } from "./names.js";
import { PARSED_BUILDPACK_TOML } from "../bundle/launched-bundle.js";
import type { TomlTable } from "./toml.js";

/** A license entry of `[[buildpack.licenses]]`. */
export interface License {
  type?: string;
  uri?: string;
}

/** `[buildpack]`. */
export interface BuildpackInfo {
  /** Validated: letters, digits, '.', '/', '-'; not "config" or "app". */
  id: string;
  version: string;
  name?: string;
  homepage?: string;
  description?: string;
  keywords?: string[];
  licenses?: License[];
  /** TOML `clear-env`. */
  clearEnv?: boolean;
  /** TOML `sbom-formats`: media types such as `application/vnd.cyclonedx+json`. */
  sbomFormats?: string[];
  /** TOML `exec-env` (API 0.12): execution environments this buildpack runs in, e.g. ["production"]. */
  execEnv?: string[];
}

/** `[[targets.distros]]`. */
export interface TargetDistro {
  name?: string;
  version?: string;
}

/** `[[targets]]`: where the buildpack can run. Omitted fields match anything. */
export interface Target {
  os?: string;
  arch?: string;
  variant?: string;
  distros?: TargetDistro[];
}

/** One `[[order.group]]` entry of a composite buildpack. */
export interface OrderEntry {
  id: string;
  version?: string;
  optional?: boolean;
  /** TOML `exec-env` (API 0.12): execution environments this group member applies to. */
  execEnv?: string[];
}

/** One `[[order]]` of a composite buildpack. */
export interface OrderGroup {
  group: OrderEntry[];
}

/**
 * The whole descriptor. `M` is the type of `[metadata]`, validated by the buildpack's own
 * guard when one is given (see `parseBuildpackToml`).
 */
export interface BuildpackDescriptor<M = Record<string, unknown>> {
  api: BuildpackApi;
  buildpack: BuildpackInfo;
  /** Empty when the file has no `[[targets]]`. */
  targets: Target[];
  /** Non-empty only for composite buildpacks (which have no bin/). */
  order: OrderGroup[];
  metadata: M;
}

/** SBOM media types the lifecycle accepts in `sbom-formats`. */
export const SBOM_MEDIA_TYPES: readonly string[] = [
  "application/vnd.cyclonedx+json",
  "application/spdx+json",
  "application/vnd.syft+json",
];

/**
 * The directory name the lifecycle and buildpackages use for a buildpack id: `/` becomes
 * `_` (`<layers>/acme_node/`, `/cnb/buildpacks/acme_node/<version>/`).
 */
export function buildpackDirName(id: string): string {
  return id.replaceAll("/", "_");
}

/**
 * Validates a parsed buildpack.toml (see {@link parseBuildpackToml}, which parses the text
 * first). `file` names the file in messages. When `validateMetadata` is given it receives
 * `[metadata]` (a plain object, `{}` when absent) and returns the typed value or throws; a
 * plain Error it throws becomes a CnbError naming `[metadata]`.
 *
 * Legacy `[[stacks]]` (deprecated in API 0.10) is read the way the lifecycle reads it when
 * there are no `[[targets]]`: `id = "*"` becomes a target that matches anything, and
 * `io.buildpacks.stacks.bionic` becomes linux/amd64 ubuntu 18.04; other stacks are ignored.
 * The target variant is read from `variant` (the spec's key) or `arch-variant` (the
 * lifecycle's); it is written as `variant`.
 *
 * @example
 * const d = buildpackDescriptor({ api: "0.12", buildpack: { id: "acme/x", version: "1.0.0" } }, "buildpack.toml");
 */
export function buildpackDescriptor<M = Record<string, unknown>>(
  doc: TomlTable,
  file = "buildpack.toml",
  validateMetadata?: (metadata: unknown) => M,
): BuildpackDescriptor<M> {
  const api = parseApi(doc, file);
  const bp = optTable(doc, "buildpack", file, "[buildpack]");
  if (bp === undefined) fail(file, "[buildpack]", "is required");
  const buildpack = parseInfo(bp, api, file);
  const order = tableArray(doc, "order", file, "[[order]]").map((o, i) => parseOrderGroup(o, api, file, i));
  let targets = tableArray(doc, "targets", file, "[[targets]]").map((t, i) => parseTarget(t, file, i));
  const stacks = tableArray(doc, "stacks", file, "[[stacks]]").map((s, i) =>
    reqStr(s, "id", file, `[[stacks]][${i}].id`),
  );
  if (stacks.length > 0 && order.length > 0) {
    fail(file, "[[stacks]]", "must not be used together with [[order]] (a composite buildpack has no stacks)");
  }
  if (targets.length === 0) targets = stacksAsTargets(stacks);
  const raw = metadataTable(doc, "metadata", file, "[metadata]");
  return { api, buildpack, targets, order, metadata: checkMetadata(raw, file, validateMetadata) };
}

/**
 * Reads `<dir>/buildpack.toml` (see {@link parseBuildpackToml}); messages name the full path.
 * A missing file is a CnbError too.
 */
export async function readBuildpackToml<M = Record<string, unknown>>(
  dir: string,
  validateMetadata?: (metadata: unknown) => M,
): Promise<BuildpackDescriptor<M>> {
  const path = join(dir, "buildpack.toml");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CnbError(`${path}: not found`, { hint: "a buildpack directory needs a buildpack.toml", cause: err });
    }
    throw new CnbError(`${path}: cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const doc = (await parsedCopy(dir, text)) ?? (await import("./toml.js")).parseToml(text, path);
  return buildpackDescriptor(doc, path, validateMetadata);
}

/**
 * The table the packager parsed from this very buildpack.toml text
 * ({@link PARSED_BUILDPACK_TOML}), or undefined when there is none or it was made from other
 * text. Why: JSON.parse is many times faster than a TOML parser, and loading the TOML parser
 * at all costs every detect ~1.5 ms (its code and code cache); a buildpack.toml with a
 * dependency inventory is also long.
 */
async function parsedCopy(dir: string, text: string): Promise<TomlTable | undefined> {
  let copy: unknown;
  try {
    copy = JSON.parse(await readFile(join(dir, PARSED_BUILDPACK_TOML), "utf8"));
  } catch {
    return undefined;
  }
  const { text: from, table } = (copy ?? {}) as { text?: unknown; table?: unknown };
  return from === text && isTable(table) ? table : undefined;
}

function parseApi(doc: TomlTable, file: string): BuildpackApi {
  const v = doc.api;
  if (v === undefined) fail(file, "api", "is required", `add api = "${SUPPORTED_BUILDPACK_APIS.at(-1)}"`);
  if (typeof v === "number") {
    fail(file, "api", `must be a string, not ${describe(v)}`, `write it quoted: api = "${v}"`);
  }
  const s = str(v, file, "api");
  if (!isSupportedBuildpackApi(s)) {
    fail(file, "api", `${quote(s)} is not supported (supported: ${SUPPORTED_BUILDPACK_APIS.join(", ")})`);
  }
  return s;
}

/**
 * The regular expression semver.org gives for SemVer 2.0.0. Used instead of the `semver`
 * package here because detect reads buildpack.toml, and loading `semver` (which compiles
 * dozens of regular expressions at start-up) measurably slows every detect.
 */
/**
 * A plain `x.y.z`, which most versions are: settled without compiling {@link SEMVER}, whose
 * first use costs every detect ~0.3 ms.
 */
const PLAIN_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

function parseInfo(bp: TomlTable, api: BuildpackApi, file: string): BuildpackInfo {
  const f = (k: string) => `[buildpack].${k}`;
  if (bp.id === undefined) fail(file, f("id"), "is required");
  const id = validateBuildpackId(bp.id, `${file}: ${f("id")}`);
  const version = reqStr(bp, "version", file, f("version"));
  if (!PLAIN_VERSION.test(version) && !SEMVER.test(version)) {
    fail(file, f("version"), `${quote(version)} must be a semantic version such as 1.2.3`);
  }
  const info: BuildpackInfo = { id, version };
  setOpt(info, "name", optStr(bp, "name", file, f("name")));
  setOpt(info, "homepage", optStr(bp, "homepage", file, f("homepage")));
  setOpt(info, "description", optStr(bp, "description", file, f("description")));
  setOpt(info, "keywords", optStrArray(bp, "keywords", file, f("keywords")));
  if (bp.licenses !== undefined) {
    info.licenses = tableArray(bp, "licenses", file, "[[buildpack.licenses]]").map((l, i) => {
      const where = `[[buildpack.licenses]][${i}]`;
      const license: License = {};
      setOpt(license, "type", optStr(l, "type", file, `${where}.type`));
      setOpt(license, "uri", optStr(l, "uri", file, `${where}.uri`));
      if (!license.type && !license.uri) fail(file, where, "needs a type or a uri");
      return license;
    });
  }
  setOpt(info, "clearEnv", optBool(bp, "clear-env", file, f("clear-env")));
  const formats = optStrArray(bp, "sbom-formats", file, f("sbom-formats"));
  formats?.forEach((m, i) => {
    if (!SBOM_MEDIA_TYPES.includes(m)) {
      fail(
        file,
        `${f("sbom-formats")}[${i}]`,
        `${quote(m)} is not a known SBOM media type (known: ${SBOM_MEDIA_TYPES.join(", ")})`,
      );
    }
  });
  setOpt(info, "sbomFormats", formats);
  if (bp["exec-env"] !== undefined) {
    requireApi(api, "0.12", file, f("exec-env"));
    info.execEnv = parseBuildpackExecEnv(bp["exec-env"], file, f("exec-env"));
  }
  return info;
}

/** `exec-env = ["production"]` (what lifecycle 0.21 reads) or `[[buildpack.exec-env]] name = ...` (the spec text). */
function parseBuildpackExecEnv(value: unknown, file: string, field: string): string[] {
  if (Array.isArray(value) && value.length > 0 && value.every(isTable)) {
    return value.map((t, i) => {
      const name = reqStr(t, "name", file, `[[buildpack.exec-env]][${i}].name`);
      if (name.includes("/")) fail(file, `[[buildpack.exec-env]][${i}].name`, `${quote(name)} must not contain '/'`);
      return name;
    });
  }
  return execEnvArray(value, file, field);
}

function requireApi(api: BuildpackApi, min: string, file: string, field: string): void {
  if (!apiAtLeast(api, min)) fail(file, field, `needs api "${min}" or newer (this file declares api "${api}")`);
}

function parseOrderGroup(o: TomlTable, api: BuildpackApi, file: string, i: number): OrderGroup {
  const where = `[[order]][${i}]`;
  const entries = tableArray(o, "group", file, `${where}.group`);
  if (entries.length === 0) fail(file, `${where}.group`, "must list at least one buildpack");
  const group = entries.map((e, j) => {
    const at = `${where}.group[${j}]`;
    if (e.id === undefined) fail(file, `${at}.id`, "is required");
    const entry: OrderEntry = { id: validateBuildpackId(e.id, `${file}: ${at}.id`) };
    setOpt(entry, "version", optStr(e, "version", file, `${at}.version`));
    setOpt(entry, "optional", optBool(e, "optional", file, `${at}.optional`));
    if (e["exec-env"] !== undefined) {
      requireApi(api, "0.12", file, `${at}.exec-env`);
      entry.execEnv = execEnvArray(e["exec-env"], file, `${at}.exec-env`);
    }
    return entry;
  });
  return { group };
}

function parseTarget(t: TomlTable, file: string, i: number): Target {
  const where = `[[targets]][${i}]`;
  const target: Target = {};
  setOpt(target, "os", optStr(t, "os", file, `${where}.os`));
  setOpt(target, "arch", optStr(t, "arch", file, `${where}.arch`));
  const variant = optStr(t, "variant", file, `${where}.variant`);
  const archVariant = optStr(t, "arch-variant", file, `${where}.arch-variant`);
  if (variant !== undefined && archVariant !== undefined && variant !== archVariant) {
    fail(file, `${where}.arch-variant`, `${quote(archVariant)} contradicts variant ${quote(variant)}`);
  }
  setOpt(target, "variant", variant ?? archVariant);
  if (t.distros !== undefined) {
    target.distros = tableArray(t, "distros", file, `${where}.distros`).map((d, j) => {
      const distro: TargetDistro = {};
      setOpt(distro, "name", optStr(d, "name", file, `${where}.distros[${j}].name`));
      setOpt(distro, "version", optStr(d, "version", file, `${where}.distros[${j}].version`));
      return distro;
    });
  }
  return target;
}

function stacksAsTargets(stacks: string[]): Target[] {
  const targets: Target[] = [];
  for (const id of stacks) {
    if (id === "*") targets.push({});
    else if (id === "io.buildpacks.stacks.bionic") {
      targets.push({ os: "linux", arch: "amd64", distros: [{ name: "ubuntu", version: "18.04" }] });
    }
  }
  return targets;
}

/**
 * Runs a buildpack's `[metadata]` guard, turning what it throws into a CnbError naming
 * `file`. Without a guard the raw table is returned as is.
 */
export function checkMetadata<M>(
  raw: Record<string, unknown>,
  file: string,
  validateMetadata: ((metadata: unknown) => M) | undefined,
): M {
  if (!validateMetadata) return raw as M;
  try {
    return validateMetadata(raw);
  } catch (err) {
    if (err instanceof CnbError) throw err;
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new CnbError(`${file}: [metadata] is invalid: ${msg}`, { cause: err });
  }
}
