/**
 * The project descriptor (`project.toml`), schema 0.2 (`[_] schema-version = "0.2"`,
 * `[io.buildpacks]`) and 0.1 (`[project]`, `[build]`) as pack reads them: the builder, the
 * include/exclude patterns (gitignore syntax), build-time env, and the buildpack group with
 * pre and post groups. Anything wrong is one line naming the file (and the line when known).
 */
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import type { AdhocBuildpack, InlineBuildpack } from "./adhoc-buildpacks.js";

/** What project.toml says about the build. */
export interface ProjectDescriptor {
  /** The file read (undefined when there is none). */
  file?: string;
  /** `[io.buildpacks] builder`. */
  builder?: string;
  include?: string[];
  exclude?: string[];
  env: Record<string, string>;
  /** `[[io.buildpacks.group]]`: replaces the builder's order. */
  group?: AdhocBuildpack[];
  /** `[[io.buildpacks.pre.group]]`. */
  pre?: AdhocBuildpack[];
  /** `[[io.buildpacks.post.group]]`. */
  post?: AdhocBuildpack[];
}

/** The schema versions read. */
const SCHEMAS = ["0.1", "0.2"];

/**
 * Reads `descriptor` (default `<appDir>/project.toml`; relative to the cwd when given). An
 * absent default file is no descriptor; an absent `--descriptor` file is an error.
 *
 * @example
 * const project = await readProjectDescriptor("my-app");
 * if (project.exclude) console.log(project.exclude);
 */
export async function readProjectDescriptor(appDir: string, descriptor?: string): Promise<ProjectDescriptor> {
  const file = descriptor ? resolve(descriptor) : join(appDir, "project.toml");
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) {
    if (descriptor) throw new CnbError(`--descriptor ${descriptor}: cannot read it`);
    return { env: {} };
  }
  const name = relative(process.cwd(), file) || file;
  const doc = parseToml(text, name);
  const schema = schemaVersion(doc, name);
  const where = new Where(name, text);
  const parsed = schema === "0.2" ? readV02(doc, where) : readV01(doc, where);
  // Relative buildpack uris are relative to the descriptor, as pack resolves them.
  const base = dirname(file);
  const rebase = (list: AdhocBuildpack[] | undefined) =>
    list?.map((b) => ("ref" in b && isLocalPath(b.ref) ? { ...b, ref: resolve(base, b.ref) } : b));
  return { ...parsed, file, group: rebase(parsed.group), pre: rebase(parsed.pre), post: rebase(parsed.post) };
}

function isLocalPath(ref: string): boolean {
  return ref.startsWith("./") || ref.startsWith("../") || ref === "." || ref.endsWith(".cnb");
}

/** `[_] schema-version`; a descriptor without `[_]` is 0.1, as pack reads it. */
function schemaVersion(doc: TomlTable, file: string): string {
  const underscore = doc._ as TomlTable | undefined;
  const v = underscore?.["schema-version"];
  if (underscore === undefined || v === undefined) return doc.io ? "0.2" : "0.1";
  if (typeof v !== "string" || !SCHEMAS.includes(v)) {
    throw new CnbError(
      `${file}: [_] schema-version ${JSON.stringify(v)} is not one cnbkit reads (${SCHEMAS.join(", ")})`,
    );
  }
  return v;
}

/** Names places in the file: the line a value is on, when it can be found. */
class Where {
  constructor(
    readonly file: string,
    private readonly text: string,
  ) {}

  /** `file:line` of the first line holding `needle`, else `file`. */
  at(needle: string): string {
    const i = this.text.split("\n").findIndex((l) => l.includes(needle));
    return i < 0 ? this.file : `${this.file}:${i + 1}`;
  }
}

type Parsed = Omit<ProjectDescriptor, "file">;

function readV02(doc: TomlTable, where: Where): Parsed {
  const io = ((doc.io as TomlTable | undefined)?.buildpacks ?? {}) as TomlTable;
  const table = "[io.buildpacks]";
  const groupOf = (t: unknown) => (t as TomlTable | undefined)?.group;
  return filters(
    io,
    table,
    where,
    envList((io.build as TomlTable | undefined)?.env, "[[io.buildpacks.build.env]]", where),
    {
      group: groupList(io.group, "[[io.buildpacks.group]]", where),
      pre: groupList(groupOf(io.pre), "[[io.buildpacks.pre.group]]", where),
      post: groupList(groupOf(io.post), "[[io.buildpacks.post.group]]", where),
    },
  );
}

function readV01(doc: TomlTable, where: Where): Parsed {
  const build = (doc.build ?? {}) as TomlTable;
  return filters(build, "[build]", where, envList(build.env, "[[build.env]]", where), {
    group: groupList(build.buildpacks, "[[build.buildpacks]]", where),
  });
}

/** The builder, include and exclude of `t`, with env and groups. */
function filters(
  t: TomlTable,
  table: string,
  where: Where,
  env: Record<string, string>,
  groups: Pick<Parsed, "group" | "pre" | "post">,
): Parsed {
  const include = patterns(t, "include", table, where);
  const exclude = patterns(t, "exclude", table, where);
  if (include && exclude) throw new CnbError(`${where.at("exclude")}: ${table} may have include or exclude, not both`);
  if (t.builder !== undefined && typeof t.builder !== "string") {
    throw new CnbError(`${where.at("builder")}: ${table} builder must be a string (an image reference)`);
  }
  const defined = Object.fromEntries(Object.entries(groups).filter(([, v]) => v !== undefined));
  return {
    ...(typeof t.builder === "string" ? { builder: t.builder } : {}),
    ...(include ? { include } : {}),
    ...(exclude ? { exclude } : {}),
    env,
    ...defined,
  };
}

/** A list of gitignore patterns, each checked. */
function patterns(t: TomlTable, key: string, table: string, where: Where): string[] | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new CnbError(`${where.at(key)}: ${table} ${key} must be a list of strings (gitignore patterns)`);
  }
  for (const p of v as string[]) {
    const problem = patternProblem(p);
    if (problem)
      throw new CnbError(`${where.at(JSON.stringify(p))}: ${table} ${key} pattern ${JSON.stringify(p)} ${problem}`);
  }
  return v as string[];
}

/** Why `p` is not a usable gitignore pattern, or undefined. */
export function patternProblem(p: string): string | undefined {
  if (p.trim() === "") return "is empty";
  if (/(^|[^\\])(\\\\)*\\$/.test(p)) return "ends in a lone backslash";
  if (/^(\/)?\.\.(\/|$)/.test(p)) return "leaves the app directory (patterns are relative to it)";
  for (const m of p.matchAll(/\[([^\]]+)\]/g)) {
    try {
      new RegExp(`[${(m[1] as string).replace(/^!/, "^")}]`);
    } catch {
      return `has a bad character class [${m[1]}]`;
    }
  }
  return undefined;
}

function envList(v: unknown, table: string, where: Where): Record<string, string> {
  const env: Record<string, string> = {};
  if (v === undefined) return env;
  if (!Array.isArray(v)) throw new CnbError(`${where.at("env")}: ${table} must be an array of tables`);
  for (const [i, e] of (v as TomlTable[]).entries()) {
    if (typeof e?.name !== "string" || typeof e.value !== "string") {
      throw new CnbError(`${where.file}: ${table} entry ${i + 1} needs a string name and value`);
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name)) {
      throw new CnbError(`${where.at(e.name)}: ${table} name "${e.name}" is not a valid environment variable name`);
    }
    env[e.name] = e.value;
  }
  return env;
}

function groupList(v: unknown, table: string, where: Where): AdhocBuildpack[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new CnbError(`${where.file}: ${table} must be an array of tables`);
  return (v as TomlTable[]).map((e, i) => groupEntry(e, `${table} entry ${i + 1}`, where));
}

/** One group entry: `uri`, `id` (+ `version`), or `id` with an inline `script`. */
function groupEntry(e: TomlTable, what: string, where: Where): AdhocBuildpack {
  const w = `${where.file}: ${what}`;
  const str = (k: string) => (typeof e[k] === "string" ? (e[k] as string) : undefined);
  const id = str("id");
  const version = str("version");
  if (e.script !== undefined) {
    const s = e.script as TomlTable;
    if (!id) throw new CnbError(`${w}: an inline script buildpack needs an id`);
    if (typeof s.api !== "string" || typeof s.inline !== "string") {
      throw new CnbError(`${w}: [script] needs string api and inline`);
    }
    const inline: InlineBuildpack = {
      id,
      version: version ?? "0.0.0",
      api: s.api,
      shell: typeof s.shell === "string" ? s.shell : "/bin/sh",
      inline: s.inline,
    };
    return { inline, where: w };
  }
  const uri = str("uri");
  if (uri) return { ref: uri.replace(/^from=builder:/, "urn:cnb:builder:"), where: w };
  // An id alone names a buildpack of the builder.
  if (id) return { ref: `urn:cnb:builder:${id}${version ? `@${version}` : ""}`, where: w };
  throw new CnbError(`${w}: needs a uri, an id, or an id with a script`);
}
