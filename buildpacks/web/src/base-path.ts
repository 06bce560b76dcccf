/**
 * The URL path a build expects to be served under, when its config names one: Next.js
 * `basePath`, Vite/Astro `base`, SvelteKit `paths.base`, Docusaurus `baseUrl`, Create React
 * App's `homepage`. Sites built for GitHub Pages set it to the repository's name; served at
 * `/`, every asset they reference (`/<repo>/assets/...`) would be a 404. Read from the config
 * texts with a pattern (the configs are code; a value computed at run time is not seen).
 */

/** The config texts and package.json the base path is read from. */
export interface BasePathInputs {
  /** next.config, vite.config, astro.config, svelte.config, docusaurus.config texts, when present. */
  configs: Partial<Record<"next" | "vite" | "astro" | "svelte" | "docusaurus", string | undefined>>;
  pkg?: Record<string, unknown> | undefined;
}

/** A base path and where it was read. */
export interface BasePath {
  /** `/repo` or `/a/b`: leading slash, no trailing one. */
  path: string;
  source: string;
}

const PATTERNS: readonly [keyof BasePathInputs["configs"], RegExp, string][] = [
  ["next", /\bbasePath\s*:\s*["'`]([^"'`]*)["'`]/, "next.config basePath"],
  ["vite", /\bbase\s*:\s*["'`]([^"'`]*)["'`]/, "vite.config base"],
  ["astro", /\bbase\s*:\s*["'`]([^"'`]*)["'`]/, "astro.config base"],
  ["svelte", /\bbase\s*:\s*["'`]([^"'`]*)["'`]/, "svelte.config paths.base"],
  ["docusaurus", /\bbaseUrl\s*:\s*["'`]([^"'`]*)["'`]/, "docusaurus.config baseUrl"],
];

/**
 * The base path, or undefined for `/`, `./`, an empty or a relative one.
 *
 * @example
 * basePath({ configs: { vite: "export default { base: '/my-app/' }" } }); // { path: "/my-app", source: "vite.config base" }
 */
export function basePath(input: BasePathInputs): BasePath | undefined {
  for (const [key, re, source] of PATTERNS) {
    const value = re.exec(input.configs[key] ?? "")?.[1];
    const path = value === undefined ? undefined : normalize(value);
    if (path) return { path, source };
  }
  const homepage = input.pkg?.homepage;
  const deps = { ...(input.pkg?.dependencies as object), ...(input.pkg?.devDependencies as object) };
  if (typeof homepage === "string" && "react-scripts" in deps) {
    try {
      const path = normalize(new URL(homepage, "http://x").pathname);
      if (path) return { path, source: "package.json homepage" };
    } catch {
      // Not a URL: Create React App ignores it too.
    }
  }
  return undefined;
}

/** `/repo/` → `/repo`; undefined for a root, relative or odd value. */
function normalize(value: string): string | undefined {
  const v = value.trim().replace(/\/+$/, "");
  if (!v.startsWith("/") || v === "" || !/^(\/[A-Za-z0-9._~-]+)+$/.test(v)) return undefined;
  return v;
}
