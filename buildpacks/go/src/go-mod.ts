/**
 * What the build reads of go.mod and go.work: the module path, the `go` and `toolchain`
 * lines, the required modules, and a workspace's `use` directories. Pure: the text in, the
 * facts out. The go command is the authority on these files; this reads only the directives
 * a build decision needs, and leaves any other error in them for `go build` to report.
 */
import { CnbError } from "@cnbkit/framework";

/** One `require` of go.mod. */
export interface Requirement {
  path: string;
  version: string;
}

/** The facts of a go.mod. */
export interface GoMod {
  /** The `module` path (e.g. "github.com/acme/api"). */
  module: string;
  /** The `go` line (e.g. "1.22" or "1.22.3"), if any. */
  go?: string;
  /** The `toolchain` line's version without its "go" prefix (e.g. "1.23.4"), if any. */
  toolchain?: string;
  /** Every required module, direct and indirect. */
  requires: Requirement[];
}

/** The facts of a go.work. */
export interface GoWork {
  go?: string;
  toolchain?: string;
  /** The `use` directories, as written (relative to go.work, "./" kept off). */
  use: string[];
}

/** A Go version as go.mod writes it: 1.N, 1.N.P, or a pre-release (1.N rc1). */
const GO_VERSION = /^1\.\d+(\.\d+)?((rc|beta)\d+)?$/;

/** Directives and blocks of a go.mod/go.work, comments removed: `[verb, args][]`. */
function directives(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let block: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\/\/.*$/, "").trim();
    if (line === "") continue;
    if (block !== undefined) {
      if (line === ")") block = undefined;
      else out.push([block, line]);
      continue;
    }
    const m = /^(\w+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, verb = "", rest = ""] = m;
    if (rest === "(") block = verb;
    else out.push([verb, rest.trim()]);
  }
  return out;
}

/** The version of a `go` or `toolchain` line, checked; `where` names the file for the error. */
function goLine(value: string, verb: "go" | "toolchain", where: string): string {
  const v = verb === "toolchain" ? value.replace(/^go/, "").replace(/\+.*$/, "") : value;
  if (verb === "toolchain" && value === "default") return "";
  if (!GO_VERSION.test(v)) {
    throw new CnbError(`${where}: the ${verb} line "${value}" is not a Go version such as 1.26 or 1.26.3`, {
      hint: `Fix the line, or set BP_GO_VERSION to choose the toolchain`,
    });
  }
  return v;
}

function unquote(s: string): string {
  return s.replace(/^"(.*)"$/, "$1").replace(/^`(.*)`$/, "$1");
}

/**
 * Reads go.mod.
 *
 * @example
 * parseGoMod("module example.com/api\n\ngo 1.26\n", "go.mod"); // { module: "example.com/api", go: "1.26", requires: [] }
 * @throws CnbError for a missing `module` line or a `go`/`toolchain` line that is not a version
 */
export function parseGoMod(text: string, where = "go.mod"): GoMod {
  const mod: GoMod = { module: "", requires: [] };
  for (const [verb, args] of directives(text)) {
    if (verb === "module") mod.module = unquote(args);
    else if (verb === "go") mod.go = goLine(args, "go", where);
    else if (verb === "toolchain") {
      const t = goLine(args, "toolchain", where);
      if (t) mod.toolchain = t;
    } else if (verb === "require") {
      const [path = "", version = ""] = args.split(/\s+/);
      if (path && version) mod.requires.push({ path: unquote(path), version });
    }
  }
  if (mod.module === "") {
    throw new CnbError(`${where}: no module line`, {
      hint: "Start go.mod with `module <path>` (go mod init writes it)",
    });
  }
  return mod;
}

/**
 * Reads go.work.
 *
 * @example
 * parseGoWork("go 1.26\n\nuse (\n\t./api\n\t./worker\n)\n"); // { go: "1.26", use: ["api", "worker"] }
 */
export function parseGoWork(text: string, where = "go.work"): GoWork {
  const work: GoWork = { use: [] };
  for (const [verb, args] of directives(text)) {
    if (verb === "go") work.go = goLine(args, "go", where);
    else if (verb === "toolchain") {
      const t = goLine(args, "toolchain", where);
      if (t) work.toolchain = t;
    } else if (verb === "use") {
      const dir = unquote(args)
        .replace(/^\.\/(?=.)/, "")
        .replace(/(.)\/$/, "$1");
      work.use.push(dir === "./" ? "." : dir);
    }
  }
  return work;
}
