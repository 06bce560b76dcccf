/**
 * PEP 508 environment markers (`python_version < "3.11" and sys_platform != "win32"`),
 * evaluated for the image's interpreter and platform (pure). Versions compare as PEP 440
 * releases when both sides are plain versions, as `packaging` does; anything else compares as
 * strings. `extra` matches any of the extras asked for, names normalized (PEP 685).
 */
import { satisfies } from "./pep440.js";
import { pythonLine } from "./python-line.js";

/** The marker variables of the target environment. */
export interface MarkerEnv {
  python_version: string;
  python_full_version: string;
  sys_platform: string;
  platform_system: string;
  os_name: string;
  platform_machine: string;
  implementation_name: string;
  platform_python_implementation: string;
  implementation_version: string;
  platform_release: string;
  platform_version: string;
}

/** Linux CPython `version` (e.g. "3.13.5") on `arch` ("amd64" or "arm64"), as a build image runs it. */
export function linuxCpython(version: string, arch: string): MarkerEnv {
  return {
    python_version: pythonLine(version),
    python_full_version: version,
    sys_platform: "linux",
    platform_system: "Linux",
    os_name: "posix",
    platform_machine: arch === "arm64" ? "aarch64" : "x86_64",
    implementation_name: "cpython",
    platform_python_implementation: "CPython",
    implementation_version: version,
    platform_release: "",
    platform_version: "",
  };
}

type Token = { kind: "str" | "var" | "op" | "(" | ")" | "and" | "or"; text: string };

const TOKEN =
  /\s*(?:(\()|(\))|"([^"]*)"|'([^']*)'|(not\s+in\b|in\b|===|==|!=|<=|>=|~=|<|>)|(and\b|or\b)|([A-Za-z_][\w.]*))/y;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`invalid marker at ${at}: ${text}`);
    if (m[1]) out.push({ kind: "(", text: "(" });
    else if (m[2]) out.push({ kind: ")", text: ")" });
    else if (m[3] !== undefined || m[4] !== undefined) out.push({ kind: "str", text: m[3] ?? m[4]! });
    else if (m[5]) out.push({ kind: "op", text: m[5].replace(/\s+/, " ") });
    else if (m[6]) out.push({ kind: m[6] as "and" | "or", text: m[6] });
    else out.push({ kind: "var", text: m[7]! });
  }
  return out;
}

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");
const PLAIN_VERSION = /^\d+(?:\.\d+)*(?:\.\*)?$/;
const FLIP: Readonly<Record<string, string>> = { "<": ">", ">": "<", "<=": ">=", ">=": "<=" };

/**
 * Whether `marker` holds in `env` with `extras` asked for. An unknown variable or a syntax
 * error throws: the caller names the lockfile entry.
 *
 * @example
 * evaluateMarker('python_version < "3.11"', linuxCpython("3.13.5", "amd64")) // false
 */
export function evaluateMarker(marker: string, env: MarkerEnv, extras: readonly string[] = []): boolean {
  const tokens = tokenize(marker);
  let i = 0;
  const value = (): { var?: string; text: string } => {
    const t = tokens[i++];
    if (t?.kind === "str") return { text: t.text };
    if (t?.kind === "var") {
      if (t.text === "extra") return { var: "extra", text: "" };
      const v = (env as unknown as Record<string, string>)[t.text.replace(/^os\.name$/, "os_name")];
      if (v === undefined) throw new Error(`unknown marker variable ${t.text}`);
      return { var: t.text, text: v };
    }
    throw new Error(`invalid marker: ${marker}`);
  };
  const comparison = (): boolean => {
    if (tokens[i]?.kind === "(") {
      i++;
      const r = or();
      if (tokens[i++]?.kind !== ")") throw new Error(`invalid marker: ${marker}`);
      return r;
    }
    const left = value();
    const op = tokens[i++];
    if (op?.kind !== "op") throw new Error(`invalid marker: ${marker}`);
    const right = value();
    if (left.var === "extra" || right.var === "extra") {
      const wanted = normalize(left.var === "extra" ? right.text : left.text);
      const hit = extras.some((e) => normalize(e) === wanted);
      return op.text === "!=" ? !hit : hit;
    }
    return compare(left.text, op.text, right.text, right.var !== undefined && left.var === undefined);
  };
  const and = (): boolean => {
    let r = comparison();
    while (tokens[i]?.kind === "and") {
      i++;
      r = comparison() && r;
    }
    return r;
  };
  const or = (): boolean => {
    let r = and();
    while (tokens[i]?.kind === "or") {
      i++;
      r = and() || r;
    }
    return r;
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`invalid marker: ${marker}`);
  return result;
}

/** `left op right`; `flipped` when the variable was on the right (`"3.8" < python_version`). */
function compare(left: string, op: string, right: string, flipped: boolean): boolean {
  if (op === "in") return right.includes(left);
  if (op === "not in") return !right.includes(left);
  const [value, literal, o] = flipped ? [right, left, FLIP[op] ?? op] : [left, right, op];
  if (o !== "===" && PLAIN_VERSION.test(literal) && /^\d+(?:\.\d+)*$/.test(value)) {
    return satisfies(value, `${o}${literal}`);
  }
  switch (o) {
    case "==":
    case "===":
      return value === literal;
    case "!=":
      return value !== literal;
    case "<":
      return value < literal;
    case ">":
      return value > literal;
    case "<=":
      return value <= literal;
    case ">=":
      return value >= literal;
    default:
      return false;
  }
}
