/**
 * `ctx.app`: read access to the app source, with errors that name the file. A module of its
 * own so that the contract (contract.ts) can name the class without importing a phase.
 *
 * On detect's hot path: each import names its file, not a folder's index (detect.ts says why).
 */
import { join } from "node:path";
import { CnbError } from "../errors/cnb-error.js";
import { readFileNow as readFile, statNow as stat } from "../fs/now.js";
import { jsonErrorOffset } from "./json-error-offset.js";

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
