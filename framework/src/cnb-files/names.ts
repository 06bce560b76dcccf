/**
 * Validation of the names the CNB spec constrains: buildpack ids, layer names, process
 * types and environment variable names.
 *
 * Each validator takes `where`, the prefix of the message (file and field, e.g.
 * `launch.toml: [[processes]][0].type`), and returns the name unchanged or throws a
 * one-line {@link CnbError}.
 */
import { CnbError } from "../errors/index.js";
import { describe, quote } from "./fields.js";

/** Buildpack ids the spec reserves (they name directories the lifecycle owns). */
export const RESERVED_BUILDPACK_IDS: readonly string[] = ["app", "config", "generated", "sbom"];

/** Layer names that would collide with the buildpack's own `build.toml`, `launch.toml` and `store.toml`. */
export const RESERVED_LAYER_NAMES: readonly string[] = ["build", "launch", "store"];

function nonEmptyString(value: unknown, where: string): string {
  if (typeof value !== "string") throw new CnbError(`${where} must be a string, not ${describe(value)}`);
  if (value === "") throw new CnbError(`${where} must not be empty`);
  return value;
}

/**
 * Checks a buildpack id: letters, digits, '.', '/' and '-', at least one letter or digit,
 * and not one of {@link RESERVED_BUILDPACK_IDS}.
 *
 * @example
 * validateBuildpackId("acme/node", "buildpack.toml: [buildpack].id"); // "acme/node"
 */
export function validateBuildpackId(id: unknown, where: string): string {
  const s = nonEmptyString(id, where);
  if (!/^[A-Za-z0-9./-]+$/.test(s)) {
    throw new CnbError(`${where} ${quote(s)} may only contain letters, digits, '.', '/' and '-'`);
  }
  if (!/[A-Za-z0-9]/.test(s)) throw new CnbError(`${where} ${quote(s)} must contain a letter or digit`);
  if (RESERVED_BUILDPACK_IDS.includes(s)) {
    throw new CnbError(`${where} ${quote(s)} is reserved (app, config, generated and sbom are not allowed)`);
  }
  return s;
}

/**
 * Checks a layer name: it becomes `<layers>/<name>/` and `<layers>/<name>.toml`, so it must
 * not be empty, contain '/', start with '.', or be one of {@link RESERVED_LAYER_NAMES}.
 */
export function validateLayerName(name: unknown, where: string): string {
  const s = nonEmptyString(name, where);
  if (s.includes("/")) throw new CnbError(`${where} ${quote(s)} must not contain '/'`);
  if (s.includes("\0")) throw new CnbError(`${where} ${quote(s)} must not contain a NUL character`);
  if (s.startsWith(".")) throw new CnbError(`${where} ${quote(s)} must not start with '.'`);
  if (RESERVED_LAYER_NAMES.includes(s)) {
    throw new CnbError(
      `${where} ${quote(s)} is reserved (build, launch and store name the buildpack's own TOML files)`,
    );
  }
  return s;
}

/** Checks a process type: letters, digits, '.', '_' and '-' (the spec's rule). */
export function validateProcessType(type: unknown, where: string): string {
  const s = nonEmptyString(type, where);
  if (!/^[A-Za-z0-9._-]+$/.test(s)) {
    throw new CnbError(`${where} ${quote(s)} may only contain letters, digits, '.', '_' and '-'`);
  }
  return s;
}

/**
 * Checks an environment variable name: letters, digits and '_', not starting with a digit
 * (the portable POSIX set; the lifecycle writes these as file names in env dirs).
 */
export function validateEnvName(name: unknown, where: string): string {
  const s = nonEmptyString(name, where);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) {
    throw new CnbError(
      `${where} ${quote(s)} is not a valid environment variable name (letters, digits and '_', not starting with a digit)`,
    );
  }
  return s;
}
