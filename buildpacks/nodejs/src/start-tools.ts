/**
 * What the start script runs, and whether the dev-dependency prune would take it away.
 *
 * A NestJS starter has `"start": "nest start"` with @nestjs/cli a devDependency, and
 * `"start:prod": "node dist/main"` beside it: pruned, its image exited 127 (`sh: 1: nest: not
 * found`). So the commands a start script runs (the first word of each `&&`, `||`, `;` and `|`
 * part, following `npm run x`, `yarn x` and `pnpm x` into the scripts they name) are looked
 * up among the bins of the app's direct dependencies. When one comes only from a
 * devDependency, the app's own production script (`start:prod`, `start:production`) starts
 * the app if it runs without dev dependencies; else the dev dependencies are kept.
 */

/** Builtins of a POSIX sh: found without any PATH lookup. */
export const SHELL_BUILTINS: ReadonlySet<string> = new Set(
  "cd exec export set test [ true false echo printf exit . source wait trap ulimit umask eval unset :".split(" "),
);

/**
 * The runtime and the package managers, which cnbkit/nodejs itself puts in the image's launch
 * layers. A start check must not look for them on the build's PATH: on a rebuild that reuses
 * a launch-only node layer, the lifecycle restores only its metadata, so `node` is not there.
 */
export const RUNTIME_COMMANDS: ReadonlySet<string> = new Set("node npm npx yarn pnpm corepack".split(" "));

/** Commands that are never a package's bin: the runtime, the package managers, a shell and its builtins. */
const NOT_PACKAGE_BINS: ReadonlySet<string> = new Set([
  ...RUNTIME_COMMANDS,
  ..."env sh bash sleep cat mkdir rm cp mv ls".split(" "),
  ...SHELL_BUILTINS,
]);

/** Production start scripts, preferred in this order when `start` needs a dev dependency. */
export const PRODUCTION_SCRIPTS = ["start:prod", "start:production"] as const;

type Scripts = Record<string, unknown>;

/** The `scripts` object of a package.json ({} when absent). */
export function scriptsOf(pkg: Record<string, unknown> | undefined): Scripts {
  const s = pkg?.scripts;
  return typeof s === "object" && s !== null && !Array.isArray(s) ? (s as Scripts) : {};
}

/**
 * The commands script `name` runs: the first word of each part of it, with `VAR=value`
 * prefixes, `exec` and `env` skipped, and `npm run x`, `yarn [run] x`, `pnpm [run] x` and
 * `npx x` followed (x's commands, or x itself for npx). Words a shell would expand (`$X`,
 * quotes, subshells) are left out: nothing can be said about them.
 *
 * @example
 * scriptCommands({ start: "NODE_ENV=production nest start", }, "start") // ["nest"]
 * scriptCommands({ start: "npm run migrate && node dist/main", migrate: "prisma migrate deploy" }, "start") // ["prisma", "node"]
 */
export function scriptCommands(scripts: Scripts, name: string, seen: ReadonlySet<string> = new Set()): string[] {
  const text = scripts[name];
  if (typeof text !== "string" || seen.has(name)) return [];
  const inner = new Set([...seen, name]);
  const out: string[] = [];
  for (const part of text.split(/&&|\|\||;|\|/)) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    while (words.length > 0 && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!) || ["exec", "env"].includes(words[0]!))) {
      words.shift();
    }
    const [first, second, third] = words;
    if (!first || /[$"'`()\\{}]/.test(first)) continue;
    const runs = runScript(scripts, first, second, third);
    if (runs !== undefined) out.push(...scriptCommands(scripts, runs, inner));
    else if (first === "npx" && second && !second.startsWith("-")) out.push(second);
    else out.push(first);
  }
  return [...new Set(out)];
}

/** The script a package-manager call runs (`npm run x`, `npm start`, `yarn x`, `pnpm run x`), if any. */
function runScript(scripts: Scripts, tool: string, a?: string, b?: string): string | undefined {
  if (!["npm", "yarn", "pnpm"].includes(tool) || !a) return undefined;
  if (a === "run" || a === "run-script") return b;
  if (a === "start" || a === "test") return a;
  return tool !== "npm" && typeof scripts[a] === "string" ? a : undefined;
}

/** The bins each direct dependency provides, by package name (read from the installed tree). */
export type BinsByPackage = ReadonlyMap<string, readonly string[]>;

/** devDependencies the start needs, kept through the prune (steps/keep-packages.ts), and why. */
export interface KeptPackages {
  packages: string[];
  reason: string;
}

/** What {@link startPlan} decided; `keep` names the devDependencies the prune must leave. */
export type StartPlan =
  | { kind: "start"; keep?: KeptPackages }
  | { kind: "script"; script: string; reason: string; keep?: KeptPackages }
  | { kind: "keep-dev"; reason: string };

/** Scripts that start the app when there is no `start`, in order (NestJS starters have only `start:prod`). */
export const NO_START_SCRIPTS = ["start:prod", "start:production", "serve"] as const;

/** The script that starts the app: `start`, else the first of {@link NO_START_SCRIPTS} it has. */
export function startingScript(pkg: Record<string, unknown>): string | undefined {
  const scripts = scriptsOf(pkg);
  return ["start", ...NO_START_SCRIPTS].find((s) => typeof scripts[s] === "string" && (scripts[s] as string).trim());
}

/**
 * What a framework loads at start that only a devDependency provides: Next.js 15+ loads a
 * next.config.ts or .mts with `typescript` at `next start`; pruned, it tries to install it
 * (with pnpm, over the network) and the app exits.
 *
 * @example
 * startLoads({ dependencies: { next: "15" }, devDependencies: { typescript: "5" } }, (f) => f === "next.config.ts")
 * // { pkg: "typescript", why: "next start loads next.config.ts with typescript" }
 */
export function startLoads(
  pkg: Record<string, unknown>,
  exists: (file: string) => boolean,
): { pkg: string; why: string } | undefined {
  const { prod, dev } = dependencyNames(pkg);
  if (!prod.has("next") || !dev.includes("typescript")) return undefined;
  const config = ["next.config.ts", "next.config.mts"].find(exists);
  return config ? { pkg: "typescript", why: `next start loads ${config} with typescript` } : undefined;
}

/** The app's production dependency names, and the devDependencies that are not among them. */
function dependencyNames(pkg: Record<string, unknown>): { prod: Set<string>; dev: string[] } {
  const names = (field: string) => {
    const d = pkg[field];
    return typeof d === "object" && d !== null ? Object.keys(d) : [];
  };
  const prod = new Set([...names("dependencies"), ...names("optionalDependencies")]);
  return { prod, dev: names("devDependencies").filter((n) => !prod.has(n)) };
}

/**
 * Decides how the app starts when dev dependencies are pruned: its starting script
 * ({@link startingScript}), unless that runs a bin only a devDependency provides; then a
 * production script that needs none, else that devDependency is kept through the prune (with
 * a hoisted node_modules; with pnpm's, every dev dependency is kept). What a framework loads
 * at start ({@link startLoads}) is kept too.
 *
 * @example
 * startPlan(
 *   { scripts: { start: "nest start", "start:prod": "node dist/main" }, devDependencies: { "@nestjs/cli": "^10" } },
 *   new Map([["@nestjs/cli", ["nest"]]]),
 * )
 * // { kind: "script", script: "start:prod", reason: 'scripts.start runs nest, from @nestjs/cli, a devDependency the prune removes' }
 */
export function startPlan(
  pkg: Record<string, unknown>,
  bins: BinsByPackage,
  opts: { exists?: (file: string) => boolean; hoisted?: boolean } = {},
): StartPlan {
  const scripts = scriptsOf(pkg);
  const script = startingScript(pkg) ?? "start";
  const loads = startLoads(pkg, opts.exists ?? (() => false));
  const needs = devOnlyCommand(pkg, bins, scriptCommands(scripts, script));
  const hoisted = opts.hoisted ?? true;
  const loaded = loads && { packages: [loads.pkg], reason: `${loads.why}, a devDependency: kept through the prune` };
  // pnpm's node_modules cannot keep one package alone: all of them stay.
  const pnpmReason = loads && `${loads.why}, a devDependency, which pnpm's node_modules cannot keep alone`;
  if (!needs) {
    if (!loaded) return { kind: "start" };
    return hoisted ? { kind: "start", keep: loaded } : { kind: "keep-dev", reason: pnpmReason as string };
  }
  const why = `scripts.${script} runs ${needs.bin}, from ${needs.pkg}, a devDependency the prune removes`;
  if (script === "start") {
    for (const prod of PRODUCTION_SCRIPTS) {
      if (typeof scripts[prod] !== "string") continue;
      if (devOnlyCommand(pkg, bins, scriptCommands(scripts, prod))) continue;
      if (!loaded) return { kind: "script", script: prod, reason: why };
      if (!hoisted) return { kind: "keep-dev", reason: pnpmReason as string };
      return { kind: "script", script: prod, reason: why, keep: loaded };
    }
  }
  if (!hoisted) {
    return {
      kind: "keep-dev",
      reason: `scripts.${script} runs ${needs.bin}, which only ${needs.pkg} (a devDependency) provides; add a "start:prod" script that runs without it to prune them`,
    };
  }
  const packages = [...new Set([needs.pkg, ...(loaded ? loaded.packages : [])])];
  const reason = `scripts.${script} runs ${needs.bin}, which only ${needs.pkg} (a devDependency) provides: kept through the prune${loaded ? `; ${loaded.reason}` : ""}`;
  return { kind: "start", keep: { packages, reason } };
}

/**
 * True when the start script may run a package's bin and the tree must be installed with dev
 * dependencies to find out which package provides it (a prune then follows).
 *
 * @example
 * startMayNeedDev({ scripts: { start: "node server.js" }, devDependencies: { tsx: "4" } }) // false
 */
export function startMayNeedDev(
  pkg: Record<string, unknown>,
  exists: (file: string) => boolean = () => false,
): boolean {
  const dev = pkg.devDependencies;
  if (typeof dev !== "object" || dev === null || Object.keys(dev).length === 0) return false;
  if (startLoads(pkg, exists)) return true;
  const script = startingScript(pkg) ?? "start";
  return scriptCommands(scriptsOf(pkg), script).some((c) => !NOT_PACKAGE_BINS.has(c) && !c.includes("/"));
}

/** The first of `commands` that only a devDependency provides, with that package. */
function devOnlyCommand(
  pkg: Record<string, unknown>,
  bins: BinsByPackage,
  commands: readonly string[],
): { bin: string; pkg: string } | undefined {
  const { prod, dev } = dependencyNames(pkg);
  for (const bin of commands) {
    if (NOT_PACKAGE_BINS.has(bin)) continue;
    if ([...prod].some((n) => bins.get(n)?.includes(bin))) continue;
    const from = dev.find((n) => bins.get(n)?.includes(bin));
    if (from) return { bin, pkg: from };
  }
  return undefined;
}

/**
 * The bin names a package.json declares (`bin` as a string is named after the package,
 * without its scope).
 *
 * @example
 * binNames({ name: "@nestjs/cli", bin: { nest: "bin/nest.js" } }) // ["nest"]
 */
export function binNames(manifest: Record<string, unknown>): string[] {
  const bin = manifest.bin;
  if (typeof bin === "string" && typeof manifest.name === "string") return [manifest.name.replace(/^@[^/]+\//, "")];
  if (typeof bin === "object" && bin !== null) return Object.keys(bin);
  return [];
}
