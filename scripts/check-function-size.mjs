#!/usr/bin/env node
// @ts-check
/**
 * `npm run lint:function-size`: no function in product code is over 80 lines or takes over 6
 * parameters. Product code is framework/src, builder-packager/src, buildpacks/ and tools/,
 * without tests (`*.test.ts`) and test support (`test-*.ts`, `test/` and `testing/` folders
 * of a buildpack or tool). framework/src/testing is a published entry, so it counts.
 *
 * Why these bars: a function a reader cannot see whole on one or two screens, or whose call
 * sites are rows of positional arguments, is where the last rounds found bugs and copies. A
 * function with many inputs takes an options object instead.
 *
 * Lines run from the function's first token (its comments left out) to its closing brace; a
 * nested function counts toward its parent too, as it does for the reader.
 *
 * Usage: node scripts/check-function-size.mjs [--list] [file ...]
 * With files, only those are checked (test/repo-shape/function-size.test.ts passes made-up
 * files). `--list` prints every offender, allowlisted or not, and exits 0.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROOTS = ["framework/src", "builder-packager/src", "buildpacks", "tools"];
const MAX_LINES = 80;
const MAX_PARAMS = 6;
const SKIP_DIR = new Set(["node_modules", "dist", "test", "testdata", "fixtures"]);
const TEST_FILE = /(\.test\.ts|(^|\/)test-[^/]+\.ts|\.d\.ts)$/;

/**
 * Offenders other engineers' work in progress keeps for now: `path: name` → why it stays.
 * A baseline that may only shrink: an entry whose function is back under the bars, or gone,
 * fails the check, so a fix removes its line.
 * @type {Record<string, string>}
 */
export const ALLOWED = {
  // Empty since issue 77: every product function is under the bars. Add a line only for work
  // in progress, with why, and remove it with the fix.
};

/**
 * The files to check under `dir` (relative to ROOT): .ts files, not tests or test support.
 * @param {string} dir
 * @returns {string[]}
 */
function productFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      // framework/src/testing is product code (an entry authors import); a buildpack's
      // testing/ folder is support for its tests.
      const support = entry.name === "testing" && path !== "framework/src/testing";
      if (!SKIP_DIR.has(entry.name) && !support) out.push(...productFiles(path));
    } else if (entry.name.endsWith(".ts") && !TEST_FILE.test(path)) {
      out.push(path);
    }
  }
  return out;
}

/**
 * A readable name for a function node: `Class.method`, the variable or property it is
 * assigned to, or `(anonymous in <enclosing>)`.
 * @param {ts.Node} node
 * @returns {string}
 */
function nameOf(node) {
  const fn = /** @type {ts.FunctionLikeDeclaration} */ (node);
  if (ts.isConstructorDeclaration(node)) return `${className(node)}.constructor`;
  if (fn.name && (ts.isIdentifier(fn.name) || ts.isStringLiteral(fn.name) || ts.isPrivateIdentifier(fn.name))) {
    const own = fn.name.text;
    return ts.isClassLike(node.parent) ? `${className(node)}.${own}` : own;
  }
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) && (ts.isIdentifier(parent.name) || ts.isStringLiteral(parent.name))) {
    return parent.name.text;
  }
  if (ts.isPropertyDeclaration(parent) && ts.isIdentifier(parent.name))
    return `${className(parent)}.${parent.name.text}`;
  for (let up = parent; up; up = up.parent) {
    if (ts.isFunctionLike(up)) return `(anonymous in ${nameOf(up)})`;
  }
  return "(anonymous)";
}

/**
 * The name of the class that declares `member`.
 * @param {ts.Node} member
 * @returns {string}
 */
function className(member) {
  const cls = member.parent;
  return ts.isClassLike(cls) && cls.name ? cls.name.text : "(class)";
}

/**
 * The functions of one file that break a bar.
 * @param {string} path relative to ROOT, as it is reported
 * @param {string} text
 * @returns {{ key: string, lines: number, params: number }[]}
 */
export function offendersIn(path, text) {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  /** @type {{ key: string, lines: number, params: number }[]} */
  const out = [];
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const fn = /** @type {ts.FunctionLikeDeclaration} */ (node);
      const first = source.getLineAndCharacterOfPosition(fn.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(fn.getEnd()).line;
      const lines = last - first + 1;
      const params = fn.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === "this")).length;
      if (lines > MAX_LINES || params > MAX_PARAMS) out.push({ key: `${path}: ${nameOf(fn)}`, lines, params });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/**
 * One line per offender not in `allowed`, and one per entry of `allowed` that is no longer
 * an offender.
 * @param {{ key: string, lines: number, params: number }[]} offenders
 * @param {Record<string, string>} allowed
 * @returns {string[]}
 */
export function problems(offenders, allowed) {
  const out = [];
  const keys = new Set(offenders.map((o) => o.key));
  for (const o of offenders) {
    if (o.key in allowed) continue;
    const why = [
      o.lines > MAX_LINES && `${o.lines} lines (over ${MAX_LINES})`,
      o.params > MAX_PARAMS && `${o.params} parameters (over ${MAX_PARAMS})`,
    ];
    out.push(`${o.key}: ${why.filter(Boolean).join(", ")}`);
  }
  for (const key of Object.keys(allowed)) {
    if (!keys.has(key)) out.push(`${key}: allowlisted, and within the bars now (or gone): remove it from ALLOWED`);
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ options: { list: { type: "boolean" } }, allowPositionals: true });
  const files = positionals.length
    ? positionals.map((f) => relative(ROOT, resolve(f)))
    : ROOTS.flatMap((dir) => productFiles(dir));
  const offenders = files.flatMap((f) => offendersIn(f, readFileSync(join(ROOT, f), "utf8")));
  if (values.list) {
    for (const o of offenders) process.stdout.write(`${o.key}\t${o.lines} lines\t${o.params} params\n`);
    process.exit(0);
  }
  // With files named, entries for other files are not stale, just not looked at.
  const allowed = positionals.length
    ? Object.fromEntries(Object.entries(ALLOWED).filter(([k]) => files.some((f) => k.startsWith(`${f}: `))))
    : ALLOWED;
  const found = problems(offenders, allowed);
  if (found.length) {
    for (const p of found) process.stderr.write(`error: ${p}\n`);
    process.stderr.write(
      `  split the function along what it does (an options object for many inputs), then rerun npm run lint\n`,
    );
    process.exit(1);
  }
}
