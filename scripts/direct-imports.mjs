/**
 * An esbuild plugin for the CLI bundle: a value import through an index.ts that only re-exports
 * (a builder-packager stage's, a framework folder's, `@cnbkit/framework` itself) becomes an
 * import of the files that declare those names.
 *
 * Why: with `splitting`, esbuild gives a chunk every file its imports can reach, not only the
 * files whose exports it uses (evanw/esbuild#3531), and a stage's index.ts reaches the whole
 * stage. `cnbkit fleet scan`'s module then parsed ~1.6 MB at its start (platform, the builder,
 * the CycloneDX library, yaml) for the scan's few hundred KB. The sources keep importing a stage
 * through its index.ts (lint:cycles' stage-through-index rule); only the bundle sees past it.
 *
 * What is not a plain re-export is left as it is: a namespace import, a default import, a name
 * the plugin cannot find declared, an index.ts with statements of its own. Type-only names stay
 * on the index.ts import, which esbuild then drops. Every file it rewrites is side-effect free
 * (the framework's package.json says so; builder-packager's modules are checked by
 * bin.test.ts's start closure and run by the tests), so evaluating the leaves without their
 * index.ts changes nothing but what is parsed.
 */
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";

const SOURCES = /\/(builder-packager|framework)\/src\/.*\.ts$/;
/** `import { a, type B, c as d } from "spec";` (one statement, maybe over several lines). */
const NAMED_IMPORT = /^import\s+\{([^}]*)\}\s+from\s+"([^"]+)";$/gm;
const RE_EXPORT = /^export\s+(type\s+)?\{([^}]*)\}\s+from\s+"([^"]+)";$/gm;
const STAR_EXPORT = /^export\s+\*\s+from\s+"([^"]+)";$/gm;
const DECLARED =
  /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|var|class|abstract\s+class|enum)\s+([\w$]+)/gm;
const LOCAL_LIST = /^export\s+\{([^}]*)\};?$/gm;

/** @typedef {{ file: string, name: string }} Origin  the file that declares a name, and its name there */

/**
 * @param {string} list the inside of `{ ... }`
 * @returns {{ type: boolean, name: string, as: string }[]}
 */
function specifiers(list) {
  return list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const type = s.startsWith("type ");
      const [name, as] = s.replace(/^type\s+/, "").split(/\s+as\s+/);
      return { type, name: /** @type {string} */ (name), as: as ?? /** @type {string} */ (name) };
    });
}

/** True when `text`, comments and blank lines aside, is export-from statements only. */
function onlyReExports(text) {
  const code = text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "")
    .replace(RE_EXPORT, "")
    .replace(STAR_EXPORT, "");
  return code.trim() === "";
}

/**
 * Reads files once, resolves as esbuild does, and finds where a name an index.ts exports is
 * declared.
 * @param {import("esbuild").PluginBuild} build
 */
function originFinder(build) {
  /** @type {Map<string, Promise<string>>} */
  const texts = new Map();
  const text = (/** @type {string} */ file) => {
    if (!texts.has(file)) texts.set(file, readFile(file, "utf8"));
    return /** @type {Promise<string>} */ (texts.get(file));
  };
  const resolve = async (/** @type {string} */ spec, /** @type {string} */ from) => {
    const r = await build.resolve(spec, { kind: "import-statement", resolveDir: dirname(from) });
    return r.errors.length || r.external ? undefined : r.path;
  };
  /** @type {(file: string, name: string, seen?: Set<string>) => Promise<Origin | undefined>} */
  const origin = async (file, name, seen = new Set()) => {
    if (seen.has(`${file}#${name}`)) return undefined;
    seen.add(`${file}#${name}`);
    const src = await text(file);
    if (!file.endsWith("/index.ts") || !onlyReExports(src)) {
      const declared = [...src.matchAll(DECLARED)].some((m) => m[1] === name);
      const listed = [...src.matchAll(LOCAL_LIST)].some((m) => specifiers(m[1] ?? "").some((s) => s.as === name));
      return declared || listed ? { file, name } : undefined;
    }
    for (const m of src.matchAll(RE_EXPORT)) {
      if (m[1]) continue;
      const hit = specifiers(m[2] ?? "").find((s) => !s.type && s.as === name);
      if (!hit) continue;
      const leaf = await resolve(/** @type {string} */ (m[3]), file);
      return leaf ? origin(leaf, hit.name, seen) : undefined;
    }
    for (const m of src.matchAll(STAR_EXPORT)) {
      const leaf = await resolve(/** @type {string} */ (m[1]), file);
      const found = leaf && (await origin(leaf, name, seen));
      if (found) return found;
    }
    return undefined;
  };
  return { origin, resolve, text };
}

/** @type {import("esbuild").Plugin} */
export const directImports = {
  name: "direct-imports",
  setup(build) {
    const { origin, resolve, text } = originFinder(build);
    build.onLoad({ filter: SOURCES }, async (args) => {
      const src = await readFile(args.path, "utf8");
      let out = src;
      for (const m of src.matchAll(NAMED_IMPORT)) {
        const target = await resolve(m[2], args.path);
        if (!target?.endsWith("/index.ts") || !onlyReExports(await text(target))) continue;
        const specs = specifiers(m[1] ?? "");
        const values = specs.filter((s) => !s.type);
        const origins = await Promise.all(values.map((s) => origin(target, s.name)));
        if (!values.length || origins.some((o) => !o)) continue;
        /** @type {Map<string, string[]>} */
        const byFile = new Map();
        values.forEach((s, i) => {
          const o = /** @type {Origin} */ (origins[i]);
          byFile.set(o.file, [...(byFile.get(o.file) ?? []), o.name === s.as ? s.as : `${o.name} as ${s.as}`]);
        });
        const types = specs.filter((s) => s.type).map((s) => (s.name === s.as ? s.name : `${s.name} as ${s.as}`));
        const lines = [...byFile].map(
          ([file, names]) => `import { ${names.join(", ")} } from ${JSON.stringify(file)};`,
        );
        if (types.length) lines.push(`import type { ${types.join(", ")} } from ${JSON.stringify(m[2])};`);
        out = out.replace(m[0], lines.join(" "));
      }
      return { contents: out, loader: "ts", resolveDir: dirname(args.path) };
    });
  },
};
