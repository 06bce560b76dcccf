/**
 * A small YAML reader for the subset that lockfiles and workspace files use: block mappings
 * nested by indentation, block sequences of scalars, plain/quoted scalars, and one-line flow
 * mappings and sequences (`resolution: {integrity: sha512-…}`, `cpu: [x64]`).
 *
 * Why not a full YAML library: the `yaml` package is not installed in this monorepo, and
 * pnpm-lock.yaml, pnpm-workspace.yaml and berry's yarn.lock are machine-written in this
 * regular shape. Scalars stay strings (no number/bool coercion): lockfile readers want text.
 */
import { CnbError } from "@cnbkit/framework";

/** A parsed YAML value: a string scalar, a list, or a mapping. */
export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  no: number;
}

/**
 * Parses `text` (named `file` in errors) into nested objects, arrays and strings.
 *
 * @example
 * parseYamlLite("packages:\n  - 'apps/*'\n", "pnpm-workspace.yaml") // { packages: ["apps/*"] }
 */
export function parseYamlLite(text: string, file: string): { [key: string]: YamlValue } {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const stripped = stripComment(raw).trimEnd();
    if (stripped.trim() === "" || stripped.trim() === "---") return;
    const indent = stripped.length - stripped.trimStart().length;
    lines.push({ indent, text: stripped.trimStart(), no: i + 1 });
  });
  const pos = { i: 0 };
  if (lines.length === 0) return {};
  const value = parseBlock(lines, pos, lines[0]!.indent, file);
  if (typeof value === "string" || Array.isArray(value)) {
    throw new CnbError(`${file}: expected a mapping at the top level`);
  }
  return value;
}

function parseBlock(lines: Line[], pos: { i: number }, indent: number, file: string): YamlValue {
  const first = lines[pos.i]!;
  if (first.text.startsWith("- ") || first.text === "-") {
    const list: YamlValue[] = [];
    while (pos.i < lines.length && lines[pos.i]!.indent === indent && lines[pos.i]!.text.startsWith("-")) {
      const item = lines[pos.i]!.text.slice(1).trim();
      pos.i++;
      list.push(parseScalarOrFlow(item, file, lines[pos.i - 1]!.no));
    }
    return list;
  }
  const map: { [key: string]: YamlValue } = {};
  while (pos.i < lines.length) {
    const line = lines[pos.i]!;
    if (line.indent < indent) break;
    if (line.indent > indent) throw new CnbError(`${file}:${line.no}: unexpected indentation`);
    const split = splitKey(line.text);
    if (!split) throw new CnbError(`${file}:${line.no}: expected "key: value", got ${JSON.stringify(line.text)}`);
    pos.i++;
    const [key, rest] = split;
    if (rest === "") {
      const next = lines[pos.i];
      // A nested block, or a sequence at the same indent as its key (a common YAML style).
      if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith("- ")))) {
        map[key] = parseBlock(lines, pos, next.indent, file);
      } else {
        map[key] = "";
      }
    } else {
      map[key] = parseScalarOrFlow(rest, file, line.no);
    }
  }
  return map;
}

/** Splits `key: rest` at the first `:` followed by a space or the end, outside quotes. */
function splitKey(text: string): [string, string] | undefined {
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = closingQuote(text, 0);
    if (end < 0) return undefined;
    const after = text.slice(end + 1);
    if (!after.startsWith(":")) return undefined;
    return [unquote(text.slice(0, end + 1)), after.slice(1).trim()];
  }
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ":" && (i === text.length - 1 || text[i + 1] === " ")) {
      return [text.slice(0, i).trim(), text.slice(i + 1).trim()];
    }
  }
  return undefined;
}

function closingQuote(text: string, start: number): number {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (q === '"' && text[i] === "\\") {
      i++;
      continue;
    }
    if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

function unquote(s: string): string {
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) {
    try {
      return JSON.parse(s) as string;
    } catch {
      return s.slice(1, -1);
    }
  }
  if (s.startsWith("'") && s.endsWith("'") && s.length >= 2) return s.slice(1, -1).replaceAll("''", "'");
  return s;
}

function parseScalarOrFlow(text: string, file: string, no: number): YamlValue {
  const t = text.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    const pos = { i: 0 };
    const v = parseFlow(t, pos, file, no);
    return v;
  }
  return unquote(t);
}

function parseFlow(t: string, pos: { i: number }, file: string, no: number): YamlValue {
  skipWs(t, pos);
  const c = t[pos.i];
  if (c === "{" || c === "[") {
    const close = c === "{" ? "}" : "]";
    pos.i++;
    const map: { [key: string]: YamlValue } = {};
    const list: YamlValue[] = [];
    for (;;) {
      skipWs(t, pos);
      if (t[pos.i] === close) {
        pos.i++;
        break;
      }
      if (c === "{") {
        const key = flowScalar(t, pos, ":");
        if (t[pos.i] !== ":") throw new CnbError(`${file}:${no}: expected ":" in a flow mapping`);
        pos.i++;
        map[key] = parseFlow(t, pos, file, no);
      } else {
        list.push(parseFlow(t, pos, file, no));
      }
      skipWs(t, pos);
      if (t[pos.i] === ",") pos.i++;
      else if (t[pos.i] !== close) throw new CnbError(`${file}:${no}: unterminated flow collection`);
    }
    return c === "{" ? map : list;
  }
  return flowScalar(t, pos, "");
}

function flowScalar(t: string, pos: { i: number }, extraStop: string): string {
  skipWs(t, pos);
  if (t[pos.i] === '"' || t[pos.i] === "'") {
    const end = closingQuote(t, pos.i);
    const s = unquote(t.slice(pos.i, end + 1));
    pos.i = end + 1;
    skipWs(t, pos);
    return s;
  }
  const start = pos.i;
  while (pos.i < t.length) {
    const ch = t[pos.i]!;
    if (ch === "," || ch === "}" || ch === "]") break;
    if (extraStop && ch === ":" && (t[pos.i + 1] === " " || t[pos.i + 1] === undefined)) break;
    pos.i++;
  }
  return t.slice(start, pos.i).trim();
}

function skipWs(t: string, pos: { i: number }): void {
  while (t[pos.i] === " ") pos.i++;
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === "#" && (i === 0 || line[i - 1] === " ")) {
      return line.slice(0, i);
    }
  }
  return line;
}
