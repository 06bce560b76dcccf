/**
 * Which directory nginx serves, and the one line that says why: BP_WEB_SERVER_ROOT, else the
 * directory the app's framework builds into, else where a plain site keeps its index.html,
 * else the app root. Pure: the build step passes what exists.
 */
import { CnbError } from "@cnbkit/framework";
import type { StaticFramework } from "./static-app.js";

/** The chosen root, relative to the app ("." for the app itself), and why. */
export interface WebRoot {
  dir: string;
  why: string;
}

/** What the choice reads. */
export interface RootInputs {
  /** BP_WEB_SERVER_ROOT. */
  setting?: string | undefined;
  framework?: StaticFramework | undefined;
  /** Angular's output candidates from angular.json, most specific first (see {@link angularOutputs}). */
  angular?: readonly string[] | undefined;
  exists(path: string): boolean;
  /** True when a Node.js build ran before (cnbkit/nodejs in the group). */
  built?: boolean | undefined;
}

/** Where builds and plain sites commonly put index.html, tried when nothing names a root. */
const COMMON_DIRS = ["dist", "build", "out", "public"];

/**
 * Chooses the root.
 *
 * @throws CnbError when BP_WEB_SERVER_ROOT or the framework's output directory does not exist
 */
export function chooseRoot(input: RootInputs): WebRoot {
  const { exists } = input;
  const withIndex = (d: string) => exists(d === "." ? "index.html" : `${d}/index.html`);
  if (input.setting) {
    const dir =
      input.setting
        .replace(/^\/workspace\/?/, "")
        .replace(/^\.\//, "")
        .replace(/\/+$/, "") || ".";
    if (dir !== "." && !exists(dir)) {
      throw new CnbError(`BP_WEB_SERVER_ROOT=${input.setting}: no such directory in the app`, {
        hint: "set it to the directory the build writes, e.g. dist",
      });
    }
    return { dir, why: "BP_WEB_SERVER_ROOT" };
  }
  const fw = input.framework;
  if (fw) {
    const candidates = fw.name === "Angular" && input.angular?.length ? input.angular : [fw.output];
    const found = candidates.find(withIndex) ?? candidates.find(exists);
    if (found) return { dir: found, why: `${fw.name} builds into ${found}/` };
    throw new CnbError(`${fw.name} app: the build wrote no ${candidates.join(" or ")}/`, {
      hint: "check the build script's output directory, or set BP_WEB_SERVER_ROOT to it",
    });
  }
  // After a build, an index.html at the root is the source (Vite's): the output comes first.
  const common = COMMON_DIRS.find(withIndex);
  if (input.built && common) return { dir: common, why: `the build wrote ${common}/index.html` };
  if (withIndex(".")) return { dir: ".", why: "index.html is at the app root" };
  if (common) return { dir: common, why: `${common}/index.html is the only site in the app` };
  return { dir: ".", why: "no index.html found: serving the app root (set BP_WEB_SERVER_ROOT to choose)" };
}

/**
 * Angular's output directories from angular.json: the build target's `outputPath` (a string,
 * or `{ base, browser }` since Angular 17) of `defaultProject` or the first project; the
 * application builder writes the browser files to `<base>/browser`.
 */
export function angularOutputs(angularJson: unknown): string[] {
  const doc = (angularJson ?? {}) as { defaultProject?: string; projects?: Record<string, unknown> };
  const names = Object.keys(doc.projects ?? {});
  const name = doc.defaultProject && names.includes(doc.defaultProject) ? doc.defaultProject : names[0];
  if (!name) return [];
  const project = (doc.projects?.[name] ?? {}) as { architect?: { build?: { options?: { outputPath?: unknown } } } };
  const out = project.architect?.build?.options?.outputPath;
  const clean = (p: string) => p.replace(/^\.\//, "").replace(/\/+$/, "");
  if (typeof out === "string") return [`${clean(out)}/browser`, clean(out)];
  if (typeof out === "object" && out !== null) {
    const { base, browser } = out as { base?: unknown; browser?: unknown };
    const b = typeof base === "string" ? clean(base) : `dist/${name}`;
    return typeof browser === "string" ? [browser === "" ? b : `${b}/${clean(browser)}`] : [`${b}/browser`, b];
  }
  return [`dist/${name}/browser`, `dist/${name}`];
}
