#!/usr/bin/env node
// @ts-check
/**
 * `npm run lint:build-inputs`: in the platform's build stage (builder-packager/src/platform/app-build,
 * tests and test support aside) no function takes the whole options bag, a parameter whose type
 * names `Build`, `BuildOptions` or `MultiBuildOptions`, except the stage's entries (ENTRIES). A
 * step takes what it reads: a `BuildPart<…>`, a `Pick<…>` or a small type of its own, as the
 * buildpacks' steps take `StepContext<…>`.
 *
 * Why a bar: a step that takes the bag may read any of its 40 fields, so neither its reader nor
 * its test can tell what it depends on, and a new field reaches every step unseen. Issue 77
 * found 32 of 286 functions of the stage taking it.
 *
 * "Names the bag" is read from the types as written (no type checker: it runs in well under a
 * second, and a step's signature has to say it): the name itself, alone or in an intersection,
 * union, array, `Readonly<…>`, `Partial<…>`, `Omit<…>` (all but a few fields is the bag), the
 * bag's `["opts"]`, or a type declared in the stage whose own definition names it so (an
 * alias, an interface that extends it or has a member of it, `Build` itself being one). Inside
 * `Pick<…>` it does not: a Pick names its fields.
 *
 * Usage: node scripts/check-build-inputs.mjs [--list] [--dir <dir>]
 * `--dir` checks another folder against the same ENTRIES (test/repo-shape/build-inputs.test.ts
 * gives it made-up files); `--list` prints every function that takes the bag, entries too,
 * and how many of the stage's functions that is, and exits 0.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const STAGE = "builder-packager/src/platform/app-build";
const BAG = ["Build", "BuildOptions", "MultiBuildOptions"];
const TEST_FILE = /(\.test\.ts|(^|\/)test-[^/]+\.ts|\.d\.ts)$/;

/**
 * The stage's entries, `file (relative to the stage): function` → why it holds the bag. These
 * and only these may take it; an entry that no longer does (or is gone) fails too, so the list
 * stays the stage's entries.
 * @type {Record<string, string>}
 */
export const ENTRIES = {
  "build-app.ts: buildApp": "`cnbkit build`'s single-platform entry: the caller's whole request",
  "multi-platform.ts: buildPlatforms": "`cnbkit build --platform a,b`'s entry: the caller's whole request",
};

/**
 * The .ts files under `dir`, tests and test support aside.
 * @param {string} dir absolute
 * @returns {string[]}
 */
function stageFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...stageFiles(path));
    else if (entry.name.endsWith(".ts") && !TEST_FILE.test(path)) out.push(path);
  }
  return out;
}

/**
 * The bag name `type` names (see the file comment), given the names known to be bags.
 * @param {ts.TypeNode | undefined} type
 * @param {Set<string>} bags
 * @returns {string | undefined}
 */
function bagIn(type, bags) {
  if (!type) return undefined;
  if (ts.isTypeReferenceNode(type)) {
    const name = ts.isIdentifier(type.typeName) ? type.typeName.text : type.typeName.right.text;
    if (name === "Pick") return undefined;
    if (bags.has(name)) return name;
    for (const arg of type.typeArguments ?? []) {
      const found = bagIn(arg, bags);
      if (found) return found;
    }
    return undefined;
  }
  if (ts.isIntersectionTypeNode(type) || ts.isUnionTypeNode(type)) {
    for (const part of type.types) {
      const found = bagIn(part, bags);
      if (found) return found;
    }
    return undefined;
  }
  if (ts.isParenthesizedTypeNode(type) || ts.isTypeOperatorNode(type)) return bagIn(type.type, bags);
  if (ts.isArrayTypeNode(type)) return bagIn(type.elementType, bags);
  if (ts.isIndexedAccessTypeNode(type)) {
    // Build["opts"] is the bag; BuildOptions["env"] is one field of it.
    const index = type.indexType;
    const opts = ts.isLiteralTypeNode(index) && ts.isStringLiteral(index.literal) && index.literal.text === "opts";
    return opts ? bagIn(type.objectType, bags) : undefined;
  }
  if (ts.isTypeLiteralNode(type)) return membersBag(type.members, bags);
  return undefined;
}

/**
 * The bag a member of `members` is typed with, if one is.
 * @param {ts.NodeArray<ts.TypeElement>} members
 * @param {Set<string>} bags
 * @returns {string | undefined}
 */
function membersBag(members, bags) {
  for (const m of members) {
    const found = ts.isPropertySignature(m) ? bagIn(m.type, bags) : undefined;
    if (found) return found;
  }
  return undefined;
}

/**
 * The names that are bags: BAG, and each type declared in `sources` whose definition names one.
 * @param {ts.SourceFile[]} sources
 * @returns {Set<string>}
 */
function bagNames(sources) {
  /** @type {(ts.TypeAliasDeclaration | ts.InterfaceDeclaration)[]} */
  const decls = [];
  for (const source of sources) {
    for (const s of source.statements) {
      if (ts.isTypeAliasDeclaration(s) || ts.isInterfaceDeclaration(s)) decls.push(s);
    }
  }
  const bags = new Set(BAG);
  for (let grew = true; grew; ) {
    grew = false;
    for (const d of decls) {
      if (bags.has(d.name.text)) continue;
      const heritage = ts.isInterfaceDeclaration(d)
        ? (d.heritageClauses ?? [])
            .flatMap((h) => h.types)
            .find((t) => {
              const name = t.expression.getText();
              if (name === "Pick") return false;
              return bags.has(name) || (t.typeArguments ?? []).some((a) => bagIn(a, bags));
            })
        : undefined;
      const found = ts.isTypeAliasDeclaration(d) ? bagIn(d.type, bags) : heritage || membersBag(d.members, bags);
      if (found) {
        bags.add(d.name.text);
        grew = true;
      }
    }
  }
  return bags;
}

/**
 * A function's name as a reader finds it: its own, `Class.method`, or the variable or
 * property it is assigned to.
 * @param {ts.SignatureDeclaration} fn
 * @returns {string}
 */
function nameOf(fn) {
  const own = fn.name && (ts.isIdentifier(fn.name) || ts.isStringLiteral(fn.name)) ? fn.name.text : undefined;
  if (ts.isConstructorDeclaration(fn) || (own && ts.isClassLike(fn.parent))) {
    const cls = fn.parent;
    return `${ts.isClassLike(cls) && cls.name ? cls.name.text : "(class)"}.${own ?? "constructor"}`;
  }
  if (own) return own;
  const parent = fn.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && ts.isIdentifier(parent.name)) {
    return parent.name.text;
  }
  return "(anonymous)";
}

/**
 * Every function of `files` that takes the bag, and how many functions there are.
 * @param {string} dir absolute: keys are relative to it
 * @param {string[]} files absolute
 * @returns {{ takers: { key: string, where: string, name: string, param: string, bag: string }[], functions: number }}
 */
export function bagTakers(dir, files) {
  const sources = files.map((f) => ts.createSourceFile(f, readFileSync(f, "utf8"), ts.ScriptTarget.Latest, true));
  const bags = bagNames(sources);
  /** @type {{ key: string, where: string, name: string, param: string, bag: string }[]} */
  const takers = [];
  let functions = 0;
  for (const source of sources) {
    /** @param {ts.Node} node */
    const visit = (node) => {
      if (ts.isFunctionLike(node) && "body" in node && node.body) {
        functions++;
        for (const p of node.parameters) {
          const bag = bagIn(p.type, bags);
          if (!bag) continue;
          const name = nameOf(node);
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          const typeText = p.type?.getText(source).replace(/\s+/g, " ") ?? bag;
          takers.push({
            key: `${relative(dir, source.fileName)}: ${name}`,
            where: `${relative(ROOT, source.fileName)}:${line}`,
            name,
            param: `${p.name.getText(source)}: ${typeText.length > 60 ? bag : typeText}`,
            bag,
          });
          break;
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { takers, functions };
}

/**
 * One line per function that takes the bag and is no entry, and one per entry that no longer does.
 * @param {{ key: string, where: string, name: string, param: string }[]} takers
 * @param {Record<string, string>} entries
 * @param {string} dir the stage folder, as lines name it
 * @returns {string[]}
 */
export function problems(takers, entries, dir) {
  const names = Object.keys(entries)
    .map((k) => k.split(": ")[1])
    .join(", ");
  const out = [];
  for (const t of takers) {
    if (t.key in entries) continue;
    out.push(
      `${t.where}: ${t.name} takes the whole options bag (${t.param}): give it what it reads, a BuildPart<…>, Pick<…> or small type of its own; only the stage's entries (${names}) take the bag`,
    );
  }
  const keys = new Set(takers.map((t) => t.key));
  for (const key of Object.keys(entries)) {
    if (!keys.has(key)) {
      out.push(
        `${dir}/${key}: listed as an entry of the stage, and it takes no whole options bag now (or is gone): fix ENTRIES in scripts/check-build-inputs.mjs`,
      );
    }
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { list: { type: "boolean" }, dir: { type: "string" } } });
  const dir = resolve(values.dir ?? join(ROOT, STAGE));
  const { takers, functions } = bagTakers(dir, stageFiles(dir));
  if (values.list) {
    for (const t of takers) process.stdout.write(`${t.where}\t${t.name}\t${t.param}\n`);
    process.stdout.write(`${takers.length} of ${functions} functions take the whole options bag\n`);
    process.exit(0);
  }
  const found = problems(takers, ENTRIES, relative(ROOT, dir));
  for (const p of found) process.stderr.write(`error: ${p}\n`);
  if (found.length) process.exit(1);
}
