/**
 * Bundling a buildpack's entry file into one CommonJS script with esbuild.
 *
 * The script is what a Node single executable application runs: CommonJS (SEA main
 * scripts are CommonJS), every dependency inlined (a SEA's `require` only loads
 * built-in modules), whitespace minified but names kept readable so stack traces at
 * BP_LOG_LEVEL=debug still make sense. The same input gives the same bytes, wherever
 * the project sits on disk.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Message, type Plugin } from "esbuild";
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
  /** The CommonJS script. */
  code: string;
  /** esbuild warnings, formatted one per line, for the caller to show. */
  warnings: string[];
}

/** Identifier that stands in for `import.meta.url`, set by the banner from `__filename`. */
const META_URL = "__cnbkit_import_meta_url";

/**
 * Bundles `entry` into one CommonJS script for the embedded Node.
 *
 * `import.meta.url`, `import.meta.filename` and `import.meta.dirname` are rewritten to
 * values derived from `__filename` (in a SEA that is the executable's path), since
 * CommonJS has no `import.meta`. `@cnbkit/framework` resolves from the buildpack's own
 * node_modules first, then from the workspace cnbkit runs from. Optional peer
 * dependencies that are not installed (e.g. @cyclonedx/cyclonedx-library's xmlbuilder2)
 * stay as `require` calls that fail at run time, which such packages expect.
 *
 * @example
 * const { code } = await bundleBuildpack({ entry: "src/index.ts", nodeVersion: "26.10.0" });
 */
export async function bundleBuildpack(options: BundleOptions): Promise<Bundle> {
  const entry = resolve(options.entry);
  if (!existsSync(entry)) throw new CnbError(`${options.entry}: buildpack entry file not found`);
  const workDir = dirname(entry);
  const major = options.nodeVersion.split(".")[0];
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build({
      entryPoints: [relative(workDir, entry)],
      absWorkingDir: workDir,
      bundle: true,
      write: false,
      platform: "node",
      format: "cjs",
      target: `node${major}`,
      minifyWhitespace: true,
      minifySyntax: true,
      minifyIdentifiers: false,
      legalComments: "none",
      sourcemap: options.sourceMap ? "inline" : false,
      sourcesContent: false,
      charset: "utf8",
      logLevel: "silent",
      nodePaths: workspaceNodePaths(),
      plugins: [optionalPeers],
      define: {
        "import.meta.url": META_URL,
        "import.meta.filename": "__filename",
        "import.meta.dirname": "__dirname",
      },
      banner: { js: `var ${META_URL}=require("node:url").pathToFileURL(__filename).href;` },
    });
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    const first = errors?.[0];
    if (first) throw new CnbError(`${formatMessage(first, workDir)}`, { hint: moreErrors(errors.length) });
    throw err;
  }
  const out = result.outputFiles?.[0];
  if (!out) throw new CnbError(`${options.entry}: esbuild produced no output`);
  return { code: out.text, warnings: result.warnings.map((w) => formatMessage(w, workDir)) };
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
