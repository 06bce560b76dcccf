/**
 * Where an app's node_modules lives: in a layer, linked from the app, or in the app itself.
 *
 * A layer (`<app>/node_modules` → `/layers/cnbkit_nodejs/launch_modules/node_modules`) is the
 * default: a rebuild whose lockfile did not change reuses it from the previous image without
 * restoring, installing or exporting anything. Some tools cannot work through that link, and
 * for them the packages install into the app directory, as Google's buildpacks always do:
 * - Next.js: Turbopack refuses a node_modules symlink that leaves the project root
 *   ("Symlink node_modules is invalid, it points out of the filesystem root").
 * - Yarn Plug'n'Play (`nodeLinker: pnp`) writes no node_modules at all: `.pnp.cjs` points
 *   into `.yarn/cache` and `.yarn/unplugged`, which must be in the app at launch.
 * - pnpm's `node-linker=pnp`: `.pnp.cjs` resolves into `node_modules/.pnpm` by path.
 *
 * Tools that resolve from a module's real path (Vite/Rollup, esbuild, webpack) stay with the
 * layer: the whole tree moves into it as installed, so walking up from a package's real path
 * (`/layers/…/node_modules/astro/dist/…`) reaches the same hoisted `node_modules`, optional
 * and platform packages (sharp's `@img/sharp-linux-x64`, `@rollup/rollup-linux-x64-gnu`)
 * included. test/e2e/node-outside-apps.test.ts builds a Vite SSR app whose bundled dependency
 * imports sharp, both from `build_modules` (then pruned) and from `launch_modules`.
 */
import { parseYamlFile } from "./yaml-file.js";

/** The decision and why. */
export type ModulesLocation =
  | { kind: "layer" }
  | {
      kind: "app";
      reason: string /** Plug'n'Play: packages (and their bins) resolve through `.pnp.cjs`. */;
      pnp?: true;
    };

/** What {@link modulesLocation} reads. */
export interface ModulesLocationInputs {
  /** The package.json of the install root (and of the project, when it is a workspace member). */
  packages: readonly Record<string, unknown>[];
  /** True for yarn 2+. */
  berry: boolean;
  /** The package manager. */
  manager: "npm" | "yarn" | "pnpm";
  /** Yarn berry's linker as this build runs it ({@link berryLinker}). */
  yarnLinker?: string | undefined;
  /** `.npmrc` of the install root, if any. */
  npmrc?: string | undefined;
  /** `pnpm-workspace.yaml` of the install root, if any (pnpm 10 reads settings from it). */
  pnpmWorkspace?: string | undefined;
}

/**
 * Decides where node_modules lives.
 *
 * @example
 * modulesLocation({ packages: [{ dependencies: { next: "16.0.0" } }], berry: false, manager: "npm" })
 * // { kind: "app", reason: "Next.js (Turbopack) needs a real node_modules directory in the app" }
 */
export function modulesLocation(inputs: ModulesLocationInputs): ModulesLocation {
  if (inputs.manager === "yarn" && inputs.berry && inputs.yarnLinker === "pnp") {
    return { kind: "app", reason: "Yarn Plug'n'Play (nodeLinker: pnp) resolves packages inside the app", pnp: true };
  }
  if (inputs.manager === "pnpm" && pnpmLinker(inputs.npmrc, inputs.pnpmWorkspace) === "pnp") {
    return { kind: "app", reason: "pnpm's node-linker=pnp resolves packages inside the app", pnp: true };
  }
  if (inputs.packages.some((p) => dependsOn(p, "next"))) {
    return { kind: "app", reason: "Next.js (Turbopack) needs a real node_modules directory in the app" };
  }
  return { kind: "layer" };
}

/**
 * The linker yarn berry runs with in this build: YARN_NODE_LINKER, else `.yarnrc.yml`'s
 * `nodeLinker`, else `pnp` when the source ships a `.pnp.cjs` (or yarn 2's `.pnp.js`), else
 * `node-modules`. Yarn's own default is Plug'n'Play; this buildpack keeps PnP only when the
 * app asks for it or was installed with it (zero-installs commit `.pnp.cjs` and `.yarn/cache`
 * and need not name the default), since most apps are written for node_modules. The launch
 * env gets the same value, so `yarn start` reads the install as it was made (yarn 2 with
 * PnP, its default, says "doesn't seem to have been installed" of a node_modules install).
 *
 * @example
 * berryLinker({}, "nodeLinker: pnp\n") // "pnp"
 * berryLinker({}, undefined, true) // "pnp"
 */
export function berryLinker(
  settings: Readonly<Record<string, string | undefined>>,
  yarnrc: string | undefined,
  shipsPnp = false,
): string {
  const fromEnv = settings.YARN_NODE_LINKER?.trim();
  if (fromEnv) return fromEnv;
  const v = yarnrc ? parseYamlFile(yarnrc, ".yarnrc.yml").nodeLinker : undefined;
  if (typeof v === "string" && v.trim()) return v.trim();
  return shipsPnp ? "pnp" : "node-modules";
}

function pnpmLinker(npmrc: string | undefined, workspaceYaml: string | undefined): string | undefined {
  const fromNpmrc = npmrc && /^\s*node-linker\s*=\s*(\S+)\s*$/m.exec(npmrc)?.[1];
  if (fromNpmrc) return fromNpmrc;
  if (!workspaceYaml) return undefined;
  const v = parseYamlFile(workspaceYaml, "pnpm-workspace.yaml").nodeLinker;
  return typeof v === "string" ? v.trim() : undefined;
}

function dependsOn(pkg: Record<string, unknown>, name: string): boolean {
  return ["dependencies", "devDependencies"].some((field) => {
    const deps = pkg[field];
    return typeof deps === "object" && deps !== null && name in deps;
  });
}
