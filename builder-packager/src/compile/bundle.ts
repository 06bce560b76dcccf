/**
 * Bundling a buildpack's entry file into one CommonJS script with esbuild.
 *
 * The script is what a Node single executable application runs: CommonJS (SEA main
 * scripts are CommonJS), every dependency inlined (a SEA's `require` only loads
 * built-in modules), whitespace minified but names kept readable so stack traces at
 * BP_LOG_LEVEL=debug still make sense. The same input gives the same bytes, wherever
 * the project sits on disk.
 *
 * Detect must stay cheap, and V8 pays to parse every byte of a script even when most of
 * it never runs. So the bundle is split the way esbuild splits ES modules (the
 * framework reaches build-only code — layers, SBOMs, downloads, archives — through
 * dynamic `import()`), each chunk is turned into CommonJS, and the chunks ride inside the
 * script as string literals that a tiny loader compiles on first `require`. A detect
 * compiles only the chunks it uses; modules are still shared (one instance each), as in
 * one bundle.
 *
 * That one script is what a single executable embeds. A buildpack on the shared runtime
 * gets the chunks as files instead ({@link chunkLoaderScript}): V8 still scans every byte
 * of a string literal, and ~450 KB of chunks a detect never runs cost it ~16 ms.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Message, Metafile, Plugin } from "esbuild";
import { CnbError } from "@cnbkit/framework";

/** Options for {@link bundleBuildpack}. */
export interface BundleOptions {
  /** The buildpack's entry file (.ts or .js), the one that calls `buildpack({ detect, build })`. */
  entry: string;
  /** Node version the bundle will run on, e.g. "26.10.0"; sets esbuild's syntax target. */
  nodeVersion: string;
  /** Append an inline source map (off by default: it bloats the binary). */
  sourceMap?: boolean;
}

/** A bundled buildpack script. */
export interface Bundle {
  /** The CommonJS script, every chunk inside it (what a single executable embeds). */
  code: string;
  /** The chunks by id (`./main.js`, `./chunk-<hash>.js`): CommonJS function bodies. */
  modules: Record<string, string>;
  /** esbuild warnings, formatted one per line, for the caller to show. */
  warnings: string[];
  /** Absolute paths of every file esbuild read as a module (its metafile's inputs), sorted. */
  inputs: string[];
}

/** Identifier that stands in for `import.meta.url`; the loader passes it to every chunk. */
const META_URL = "__cnbkit_import_meta_url";

/** Where esbuild "writes" (nothing is written; the paths only name the chunks). */
const VIRTUAL_OUT = "/__cnbkit_bundle__";

/**
 * Bundles `entry` into one CommonJS script for the embedded Node.
 *
 * `import.meta.url`, `import.meta.filename` and `import.meta.dirname` are rewritten to
 * values derived from `__filename` (in a SEA that is the executable's path), since
 * CommonJS has no `import.meta`. `@cnbkit/framework` resolves from the buildpack's own
 * node_modules first, then from the workspace cnbkit runs from. Optional peer
 * dependencies (e.g. @cyclonedx/cyclonedx-library's xmlbuilder2) stay as `require` calls
 * that fail at run time, which such packages expect.
 *
 * @example
 * const { code } = await bundleBuildpack({ entry: "src/index.ts", nodeVersion: "26.10.0" });
 */
export async function bundleBuildpack(options: BundleOptions): Promise<Bundle> {
  // Loaded here, not at the top: every CLI command loaded esbuild at start; only packaging needs it.
  const { build, transform } = await import("esbuild");
  const entry = resolve(options.entry);
  if (!existsSync(entry)) throw new CnbError(`${options.entry}: buildpack entry file not found`);
  const workDir = dirname(entry);
  const major = options.nodeVersion.split(".")[0];
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build({
      entryPoints: { main: relative(workDir, entry) },
      absWorkingDir: workDir,
      bundle: true,
      write: false,
      splitting: true,
      outdir: VIRTUAL_OUT,
      chunkNames: "chunk-[hash]",
      platform: "node",
      format: "esm",
      target: `node${major}`,
      minifyWhitespace: true,
      minifySyntax: true,
      minifyIdentifiers: false,
      legalComments: "none",
      sourcemap: options.sourceMap ? "inline" : false,
      sourcesContent: false,
      charset: "utf8",
      logLevel: "silent",
      metafile: true,
      nodePaths: workspaceNodePaths(),
      plugins: [optionalPeers],
      define: {
        "import.meta.url": META_URL,
        "import.meta.filename": "__filename",
        "import.meta.dirname": "__dirname",
      },
    });
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    const first = errors?.[0];
    if (first) throw new CnbError(`${formatMessage(first, workDir)}`, { hint: moreErrors(errors.length) });
    throw err;
  }
  const modules: Record<string, string> = {};
  for (const file of [...(result.outputFiles ?? [])].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const id = `./${relative(VIRTUAL_OUT, file.path)}`;
    // Chunks import each other with `import`/`import()`; as CommonJS they `require`.
    const cjs = await transform(file.text, {
      format: "cjs",
      loader: "js",
      platform: "node",
      target: `node${major}`,
      minifyWhitespace: true,
      supported: { "dynamic-import": false },
      sourcefile: id,
    });
    modules[id] = cjs.code;
  }
  if (!modules["./main.js"]) throw new CnbError(`${options.entry}: esbuild produced no output`);
  return {
    code: loaderScript(modules),
    modules,
    warnings: result.warnings.map((w) => formatMessage(w, workDir)),
    inputs: metafileInputs(result.metafile, workDir),
  };
}

/**
 * The parameters every chunk is compiled with, in order. A V8 code cache is valid only for
 * the same source compiled with the same parameters, so code-cache.ts uses this list too.
 */
export const CHUNK_PARAMS = ["exports", "require", "module", "__filename", "__dirname", META_URL] as const;

/**
 * The shared form's detect pack in the chunks dir: the chunks a detect loads as one script
 * (code-cache.ts makes it), which the loader prefers to a chunk's own file.
 */
export const DETECT_PACK = "detect-pack.js";

/**
 * The script: the chunks as strings, and a loader that compiles one on first `require`
 * (with `vm.compileFunction`, so each gets a proper file name in stack traces) and falls
 * back to Node's `require` for built-in modules and left-out optional peers.
 */
export function loaderScript(modules: Record<string, string>): string {
  return loader({
    setup: [`const __cnbkit_modules=${JSON.stringify(modules)};`],
    isChunk: "Object.hasOwn(__cnbkit_modules,id)",
    compile: ["const f=__cnbkit_compile(__cnbkit_modules[id],{filename:id});"],
  });
}

/**
 * The script of the shared form: the same loader, taking chunk `./<name>` from the detect
 * pack `<dir of the script>/<chunksDir>/detect-pack.js` when it is there (run once, on the
 * first `require`, with its V8 code cache `detect-pack.js.v8` when there is one), else
 * compiling `<chunksDir>/<name>`. A cache V8 rejects (another Node build) only costs the
 * compile it would have saved.
 */
export function chunkLoaderScript(chunksDir: string): string {
  return loader({
    setup: [
      'const{readFileSync:__cnbkit_read}=require("node:fs");',
      `const __cnbkit_dir=__dirname+${JSON.stringify(`/${chunksDir}/`)};`,
      "let __cnbkit_pack;",
      "function __cnbkit_packed(id){",
      "if(__cnbkit_pack===undefined){",
      `const file=__cnbkit_dir+${JSON.stringify(DETECT_PACK)};`,
      'let text,cachedData;try{text=__cnbkit_read(file,"utf8")}catch{}',
      'try{cachedData=__cnbkit_read(file+".v8")}catch{}',
      '__cnbkit_pack=text===undefined?null:new(require("node:vm").Script)(text,{filename:file,cachedData}).runInThisContext();}',
      "return __cnbkit_pack?.[id];}",
    ],
    isChunk: 'id.startsWith("./")',
    compile: [
      "const file=__cnbkit_dir+id.slice(2);",
      'const f=__cnbkit_packed(id)??__cnbkit_compile(__cnbkit_read(file,"utf8"),{filename:file});',
    ],
  });
}

/**
 * The loader both forms share: a module cache, a `require` for chunks (anything else goes
 * to Node's), and each chunk compiled with {@link CHUNK_PARAMS}. The forms differ only in
 * where a chunk's text comes from (`setup`, `isChunk`, `compile`, which must define `f`).
 */
function loader(form: { setup: string[]; isChunk: string; compile: string[] }): string {
  return [
    '"use strict";',
    ...form.setup,
    "const __cnbkit_cache=Object.create(null);",
    // A plain path is its own file URL; node:url (~0.2 ms of a detect) only for the rest.
    `const __cnbkit_url=/^[\\w./-]+$/.test(__filename)?"file://"+__filename:require("node:url").pathToFileURL(__filename).href;`,
    `const __cnbkit_compile=(text,options)=>require("node:vm").compileFunction(text,${JSON.stringify(CHUNK_PARAMS)},options);`,
    "function __cnbkit_require(id){",
    `if(!(${form.isChunk}))return require(id);`,
    "let m=__cnbkit_cache[id];if(m)return m.exports;",
    "m=__cnbkit_cache[id]={exports:{}};",
    ...form.compile,
    "f(m.exports,__cnbkit_require,m,__filename,__dirname,__cnbkit_url);",
    "return m.exports;}",
    'module.exports=__cnbkit_require("./main.js");',
    "",
  ].join("\n");
}

/**
 * What decides how a script is bundled besides its inputs: this file's functions as text,
 * so a cache of bundles made by another cnbkit (a changed loader, other esbuild options)
 * is never reused, even between builds of one version.
 */
export function bundlerIdentity(): string {
  return [
    bundleBuildpack,
    loaderScript,
    chunkLoaderScript,
    loader,
    metafileInputs,
    isOptionalDependency,
    workspaceNodePaths,
  ]
    .map((f) => f.toString())
    .concat(workspaceNodePaths())
    .join("\n");
}

/** The files esbuild read, absolute; namespaced inputs (`node:`, plugin ones) are not files. */
function metafileInputs(metafile: Metafile | undefined, workDir: string): string[] {
  const files = Object.keys(metafile?.inputs ?? {}).filter((p) => !/^[a-z-]+:/.test(p));
  return [...new Set(files.map((p) => resolve(workDir, p)))].sort();
}

/** `file:line:col: text` for an esbuild message, paths relative to the entry's directory. */
function formatMessage(message: Message, workDir: string): string {
  const loc = message.location;
  if (!loc) return message.text;
  const file = loc.file.startsWith(sep) ? relative(workDir, loc.file) : loc.file;
  return `${file}:${loc.line}:${loc.column + 1}: ${message.text}`;
}

function moreErrors(count: number): string | undefined {
  return count > 1 ? `and ${count - 1} more bundling error${count > 2 ? "s" : ""}` : undefined;
}

/**
 * node_modules folders of the workspace that holds this file and @cnbkit/framework, so a
 * buildpack outside the workspace still resolves the framework. Used only as a fallback.
 */
function workspaceNodePaths(): string[] {
  const paths: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "node_modules");
    if (existsSync(join(candidate, "@cnbkit", "framework"))) paths.push(candidate);
    const parent = dirname(dir);
    if (parent === dir) return paths;
    dir = parent;
  }
}

/**
 * Leaves out bare imports that the importing package declares optional
 * (`peerDependenciesMeta.<name>.optional` or `optionalDependencies`): libraries with
 * optional plugins `require` them inside try/catch, and a buildpack never needs them
 * (the CycloneDX library's XML and schema-validation plugins, for example). They stay out
 * even when installed (the workspace installs ajv for its own tests), so the bundle does
 * not depend on what happens to be in node_modules, and stays small for a fast detect.
 */
const optionalPeers: Plugin = {
  name: "cnbkit-optional-peers",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:") || !args.importer) return undefined;
      return isOptionalDependency(args.importer, packageName(args.path))
        ? { path: args.path, external: true }
        : undefined;
    });
  },
};

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

/** True when the nearest package.json above `importer` declares `name` optional. */
function isOptionalDependency(importer: string, name: string): boolean {
  let dir = dirname(importer);
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, "utf8")) as {
          name?: string;
          peerDependenciesMeta?: Record<string, { optional?: boolean }>;
          optionalDependencies?: Record<string, string>;
        };
        if (pkg.name)
          return pkg.peerDependenciesMeta?.[name]?.optional === true || name in (pkg.optionalDependencies ?? {});
      } catch {
        return false;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}
