/**
 * Which package manager installs an app's dependencies, which version, and with what command.
 *
 * Order (Heroku's coverage, corepack-aware): the `packageManager` field (corepack's
 * `name@version[+hash]`), then `engines.npm|yarn|pnpm`, then the lockfile. Vendored
 * `node_modules` without a lockfile is rebuilt rather than reinstalled.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import semver from "semver";
import { narrowNpmRange, SCRIPT_POLICY_MAJOR } from "./npm-install-scripts.js";

/** The package managers this buildpack drives. */
export type PackageManagerName = "npm" | "yarn" | "pnpm";

/** Lockfile names, in the order they are looked for. */
export const LOCKFILES = ["pnpm-lock.yaml", "yarn.lock", "package-lock.json", "npm-shrinkwrap.json"] as const;

/** The decision, with everything the build needs to log and run. */
export interface PackageManagerChoice {
  name: PackageManagerName;
  /** Exact version (packageManager) or range (engines); undefined → the one bundled/latest. */
  version?: string;
  /** True for yarn 2+ ("berry"). */
  berry: boolean;
  /** Why: e.g. `package.json packageManager "pnpm@9.1.0"` or `yarn.lock`. */
  source: string;
  /** The lockfile this install is pinned by, if any. */
  lockfile?: string;
  /** The install command (with dev dependencies). */
  install: string[];
  /** The install command that leaves out dev dependencies, when the tool has one. */
  installProd?: string[];
  /** The command that removes dev dependencies from an installed tree. */
  prune: string[];
  /** Set when nothing pins the install (no lockfile) or vendored modules are rebuilt. */
  warning?: string;
  /** Why the version differs from what the source says (an engines.npm range kept below npm 12). */
  note?: string;
  /** True when `node_modules` is vendored in the app and only rebuilt. */
  vendored: boolean;
}

/** What {@link choosePackageManager} looks at. */
export interface PackageManagerInputs {
  /** Parsed package.json. */
  pkg: Record<string, unknown>;
  /** Names of files present in the install root (only the ones in {@link LOCKFILES} and `node_modules` matter). */
  files: ReadonlySet<string>;
  /** The text of yarn.lock, when present (to tell classic from berry). */
  yarnLock?: string;
}

/**
 * Chooses the package manager and its commands.
 *
 * @example
 * choosePackageManager({ pkg: { packageManager: "pnpm@9.1.0+sha512.abc" }, files: new Set(["pnpm-lock.yaml"]) })
 * // { name: "pnpm", version: "9.1.0", install: ["pnpm", "install", "--frozen-lockfile"], ... }
 */
export function choosePackageManager(inputs: PackageManagerInputs): PackageManagerChoice {
  const lockfiles = LOCKFILES.filter((f) => inputs.files.has(f));
  const tool = fromPackageManagerField(inputs.pkg) ?? fromEngines(inputs.pkg, lockfiles) ?? fromLockfiles(lockfiles);
  const lockfile = lockfileFor(tool.name, lockfiles);
  const berry = tool.name === "yarn" && isBerry(tool.version, inputs.yarnLock);

  const choice: PackageManagerChoice = {
    name: tool.name,
    berry,
    source: tool.source,
    ...commandsFor(tool.name, berry, lockfile !== undefined),
    vendored: false,
  };
  if (tool.version !== undefined) choice.version = tool.version;
  if (tool.note !== undefined) choice.note = tool.note;
  if (lockfile) choice.lockfile = lockfile;

  const others = lockfiles.filter((l) => l !== lockfile);
  if (lockfile && others.length > 0) {
    choice.warning = `Found ${others.join(", ")} besides ${lockfile}; using ${tool.name} (delete the unused lockfile)`;
  }
  if (!lockfile) unpinned(choice, inputs.files.has("node_modules"));
  return choice;
}

/** A tool named by one of the three sources, and which source said so. */
interface ToolSource {
  name: PackageManagerName;
  version?: string;
  source: string;
  note?: string;
}

/** corepack's `packageManager: "<name>@<exact version>[+<hash>]"`, when set. */
function fromPackageManagerField(pkg: Record<string, unknown>): ToolSource | undefined {
  const field = pkg.packageManager;
  if (field === undefined) return undefined;
  if (typeof field !== "string") throw new CnbError(`package.json: packageManager must be a string like "pnpm@9.1.0"`);
  const m = /^(npm|yarn|pnpm)@([^+\s]+)(\+[a-z0-9]+\.[0-9a-fA-F]+)?$/.exec(field.trim());
  if (!m) {
    throw new CnbError(`package.json: packageManager "${field}" is not "<npm|yarn|pnpm>@<version>[+<hash>]"`, {
      hint: 'e.g. "pnpm@9.1.0" or "yarn@4.5.0+sha512.…" (corepack\'s format)',
    });
  }
  if (!semver.valid(m[2]!))
    throw new CnbError(`package.json: packageManager "${field}": "${m[2]}" is not an exact version`);
  const name = m[1] as PackageManagerName;
  return { name, version: m[2]!, source: `package.json packageManager "${name}@${m[2]}"` };
}

/** `engines.pnpm|yarn|npm` ranges, first match wins. */
function fromEngines(pkg: Record<string, unknown>, lockfiles: readonly string[]): ToolSource | undefined {
  const engines = isRecord(pkg.engines) ? pkg.engines : {};
  for (const candidate of ["pnpm", "yarn", "npm"] as const) {
    const range = engines[candidate];
    if (typeof range !== "string" || !range.trim()) continue;
    if (semver.validRange(range) === null) {
      throw new CnbError(`package.json: engines.${candidate} "${range}" is not a version range`);
    }
    // engines.npm alone only pins npm's version; a yarn or pnpm lockfile still decides the tool.
    if (candidate === "npm" && lockfiles.some((l) => l === "yarn.lock" || l === "pnpm-lock.yaml")) continue;
    const version = range.trim();
    const source = `package.json engines.${candidate} "${version}"`;
    const narrowed = candidate === "npm" ? narrowNpmRange(version, pkg) : undefined;
    if (narrowed === undefined) return { name: candidate, version, source };
    const note = `npm "${narrowed}": engines.npm "${version}" admits npm ${SCRIPT_POLICY_MAJOR}, which skips dependency install scripts that "allowScripts" does not approve, and package.json has no "allowScripts" (the lockfile cannot say which npm wrote it)`;
    return { name: candidate, version: narrowed, source, note };
  }
  return undefined;
}

/** The first lockfile present decides; none means npm. */
function fromLockfiles(lockfiles: readonly string[]): ToolSource {
  const first = lockfiles[0];
  const name: PackageManagerName = first === "pnpm-lock.yaml" ? "pnpm" : first === "yarn.lock" ? "yarn" : "npm";
  return { name, source: first ?? "no lockfile" };
}

/** The lockfile that pins the chosen tool's install, if present. */
function lockfileFor(name: PackageManagerName, lockfiles: readonly string[]): string | undefined {
  if (name === "npm") return lockfiles.find((l) => l === "package-lock.json" || l === "npm-shrinkwrap.json");
  return lockfiles.find((l) => l === (name === "yarn" ? "yarn.lock" : "pnpm-lock.yaml"));
}

/** Yarn 2+: by the requested version when there is one, else by the lockfile's format. */
function isBerry(version: string | undefined, yarnLock: string | undefined): boolean {
  const major = version ? semver.minVersion(version)?.major : undefined;
  if (major !== undefined) return major >= 2;
  return yarnLock !== undefined && /^__metadata:/m.test(yarnLock);
}

/** Install, production-install and prune commands of each tool. */
function commandsFor(
  name: PackageManagerName,
  berry: boolean,
  locked: boolean,
): Pick<PackageManagerChoice, "install" | "installProd" | "prune"> {
  switch (name) {
    case "npm": {
      const install = locked ? ["npm", "ci"] : ["npm", "install"];
      return { install, installProd: [...install, "--omit=dev"], prune: ["npm", "prune", "--omit=dev"] };
    }
    case "yarn": {
      if (berry) {
        const install = locked ? ["yarn", "install", "--immutable"] : ["yarn", "install"];
        return { install, prune: ["yarn", "workspaces", "focus", "--all", "--production"] };
      }
      const install = locked ? ["yarn", "install", "--frozen-lockfile"] : ["yarn", "install"];
      const installProd = [...install, "--production=true"];
      return { install, installProd, prune: [...installProd] };
    }
    case "pnpm": {
      const install = locked ? ["pnpm", "install", "--frozen-lockfile"] : ["pnpm", "install"];
      return { install, installProd: [...install, "--prod"], prune: ["pnpm", "prune", "--prod"] };
    }
  }
}

/** No lockfile: rebuild vendored modules, or warn that versions float. */
function unpinned(choice: PackageManagerChoice, vendoredModules: boolean): void {
  if (vendoredModules) {
    choice.vendored = true;
    choice.install = choice.name === "pnpm" ? ["pnpm", "rebuild"] : ["npm", "rebuild"];
    delete choice.installProd;
    choice.warning = "Using the vendored node_modules (rebuilding native modules); no lockfile pins it";
  } else {
    choice.warning = `No lockfile found; running "${choice.install.join(" ")}" resolves versions afresh on every build (commit a lockfile)`;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The npm package (with version or range) that provides the chosen tool, or undefined when
 * the npm bundled with Node will do. Installed with `npm install -g --prefix <layer>` rather
 * than corepack: corepack fetches yarn 2+ from repo.yarnpkg.com (unreachable where only the
 * npm registry is), and older bundled corepacks reject current npm signing keys.
 *
 * Without a pinned version, pnpm follows the lockfile format (9.0 → pnpm 9, 6.x → pnpm 8,
 * 5.x → pnpm 7), yarn classic is `yarn@1`, berry is `@yarnpkg/cli-dist@4`.
 *
 * @example
 * toolPackage({ name: "yarn", berry: true, version: "4.5.0" }) // "@yarnpkg/cli-dist@4.5.0"
 */
export function toolPackage(
  choice: Pick<PackageManagerChoice, "name" | "berry" | "version">,
  pnpmLockfileVersion?: string,
): string | undefined {
  switch (choice.name) {
    case "npm":
      return choice.version ? `npm@${choice.version}` : undefined;
    case "yarn":
      return choice.berry ? `@yarnpkg/cli-dist@${choice.version ?? "4"}` : `yarn@${choice.version ?? "1"}`;
    case "pnpm": {
      if (choice.version) return `pnpm@${choice.version}`;
      const major = Number.parseFloat(pnpmLockfileVersion ?? "9");
      return `pnpm@${major >= 9 ? 9 : major >= 6 ? 8 : 7}`;
    }
  }
}

/**
 * The version of the npm a Node.js runtime ships with, read from its package.json rather than
 * by running `npm --version` (a Node start-up, which a cold build need not pay); undefined
 * when the runtime has no npm or it cannot be read.
 *
 * @example
 * await bundledNpmVersion("/layers/cnbkit_nodejs/node"); // "10.9.4"
 */
export async function bundledNpmVersion(nodeHome: string): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await readFile(join(nodeHome, "lib", "node_modules", "npm", "package.json"), "utf8"));
    return typeof pkg.version === "string" && semver.valid(pkg.version) ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The command that removes dev dependencies, for the version of the tool that runs it. pnpm
 * must not run scripts there: `pnpm prune` runs the project's `postinstall` again, and that
 * often needs a dev tool that is gone by then (`nuxt prepare` → "nuxt: not found"). Its
 * `--ignore-scripts` flag came to `prune` only in pnpm 8.15.6 (7.33.7 and 8.15.5 answer
 * `Unknown option: 'ignore-scripts'`, checked with `pnpm prune --help` of each release);
 * the versions before take the same setting as `--config.ignore-scripts=true`.
 *
 * @example
 * pruneCommand({ name: "pnpm", prune: ["pnpm", "prune", "--prod"] }, "9.15.9") // ["pnpm", "prune", "--prod", "--ignore-scripts"]
 * pruneCommand({ name: "pnpm", prune: ["pnpm", "prune", "--prod"] }, "8.6.0") // ["pnpm", "prune", "--prod", "--config.ignore-scripts=true"]
 */
export function pruneCommand(choice: Pick<PackageManagerChoice, "name" | "prune">, version: string): string[] {
  if (choice.name !== "pnpm") return [...choice.prune];
  const v = semver.coerce(version) ?? new semver.SemVer("0.0.0");
  return [
    ...choice.prune,
    semver.gte(v, PNPM_PRUNE_IGNORE_SCRIPTS) ? "--ignore-scripts" : "--config.ignore-scripts=true",
  ];
}

/** The first pnpm whose `prune` accepts `--ignore-scripts`. */
const PNPM_PRUNE_IGNORE_SCRIPTS = "8.15.6";
