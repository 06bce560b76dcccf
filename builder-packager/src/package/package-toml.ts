/**
 * package.toml, pack's buildpackage config: `[buildpack] uri` (the buildpack to package,
 * default the directory holding package.toml) and `[[dependencies]] uri | image` (the
 * buildpacks a composite's order refers to), optionally `[platform] os`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";

/** A buildpack reference in package.toml or builder.toml. */
export interface ModuleRefConfig {
  uri?: string;
  image?: string;
}

/** package.toml, typed. */
export interface PackageConfig {
  /** `[buildpack] uri`, default ".". */
  buildpack: { uri: string };
  dependencies: ModuleRefConfig[];
  platform?: { os?: string };
}

const KEYS = new Set(["buildpack", "dependencies", "platform", "targets", "extension"]);

/** Parses package.toml text; `file` names it in one-line errors. */
export function parsePackageToml(text: string, file: string): PackageConfig {
  const doc = parseToml(text, file);
  for (const k of Object.keys(doc)) {
    if (!KEYS.has(k))
      throw new CnbError(`${file}: unknown key "${k}"`, { hint: "package.toml has [buildpack] and [[dependencies]]" });
  }
  const bp = doc.buildpack;
  if (bp !== undefined && (typeof bp !== "object" || Array.isArray(bp)))
    throw new CnbError(`${file}: [buildpack] must be a table`);
  const uri = (bp as TomlTable | undefined)?.uri ?? ".";
  if (typeof uri !== "string" || uri === "") throw new CnbError(`${file}: [buildpack].uri must be a non-empty string`);
  const deps = doc.dependencies ?? [];
  if (!Array.isArray(deps)) throw new CnbError(`${file}: dependencies must be an array of tables ([[dependencies]])`);
  const dependencies = deps.map((d, i) => moduleRef(d, file, `[[dependencies]][${i}]`));
  const platform = doc.platform as { os?: string } | undefined;
  if (platform?.os !== undefined && platform.os !== "linux") {
    throw new CnbError(`${file}: [platform].os "${platform.os}" is not supported (only linux)`);
  }
  return { buildpack: { uri }, dependencies, ...(platform ? { platform } : {}) };
}

/** Checks one `uri`/`image` table (exactly one of them, a non-empty string). */
export function moduleRef(value: unknown, file: string, where: string): ModuleRefConfig {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new CnbError(`${file}: ${where} must be a table`);
  const t = value as TomlTable;
  const out: ModuleRefConfig = {};
  for (const key of ["uri", "image"] as const) {
    const v = t[key];
    if (v === undefined) continue;
    if (typeof v !== "string" || v.trim() === "")
      throw new CnbError(`${file}: ${where}.${key} must be a non-empty string`);
    out[key] = v;
  }
  if (out.uri !== undefined && out.image !== undefined)
    throw new CnbError(`${file}: ${where} has both uri and image; give one`);
  return out;
}

/** Reads `<dir>/package.toml` when it exists (undefined otherwise). */
export async function readPackageToml(dir: string): Promise<PackageConfig | undefined> {
  const file = join(dir, "package.toml");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CnbError(`${file}: cannot be read: ${(err as Error).message}`);
  }
  return parsePackageToml(text, file);
}
