/**
 * The start command of a framework's own server output, for an app with no start script.
 *
 * A SvelteKit, Nuxt, Astro, Remix, React Router or Next.js app often has only `dev`, `build`
 * and `preview` scripts: the build writes a server entry, and the framework's docs say to
 * run it with `node`. Without this the image has no process at all. Each rule needs both
 * the framework's package in package.json and the file the build made, so a stale name in
 * package.json or a build that wrote something else starts nothing.
 *
 * Every one of these servers listens on `$PORT`. Astro's standalone server is the only one
 * that binds to localhost unless `HOST` is set, so its rule sets a `HOST` default.
 */

/** A framework server entry the build produced. */
export interface FrameworkStart {
  command: string[];
  /** What the file is, e.g. "SvelteKit's adapter-node output". */
  framework: string;
  /** Launch env defaults the server needs in a container (the platform's values win). */
  env?: Record<string, string>;
}

/** How the rules look at the app: package.json, and files relative to the project. */
export interface FrameworkInputs {
  pkg: Record<string, unknown>;
  exists: (file: string) => boolean;
  /** A text file of the project, undefined when absent (svelte.config.js for adapter-node's `out`). */
  read: (file: string) => string | undefined;
}

/** True when package.json names `name` in `dependencies` (`runtimeOnly`: the prune keeps it) or any dependency field. */
function depends(pkg: Record<string, unknown>, name: string, runtimeOnly = false): boolean {
  const fields = runtimeOnly ? ["dependencies"] : ["dependencies", "devDependencies", "optionalDependencies"];
  return fields.some((f) => {
    const deps = pkg[f];
    return typeof deps === "object" && deps !== null && name in deps;
  });
}

/**
 * Where SvelteKit's config is: svelte.config.* up to SvelteKit 2, the `sveltekit({...})`
 * plugin in vite.config.* from SvelteKit 3 (which refuses a svelte.config.js).
 */
const SVELTEKIT_CONFIGS = [
  "svelte.config.js",
  "svelte.config.mjs",
  "svelte.config.ts",
  "vite.config.js",
  "vite.config.mjs",
  "vite.config.ts",
  "vite.config.mts",
];

/**
 * adapter-node's `out` as the config writes it (`adapter({ out: "dist" })`), else its default
 * `build`. Read as text, not run: a config that computes `out` keeps the default, and then
 * the rule starts nothing unless build/index.js exists.
 */
export function sveltekitOut(read: FrameworkInputs["read"]): string {
  for (const file of SVELTEKIT_CONFIGS) {
    const m = /\bout\s*:\s*(["'`])([^"'`$]+)\1/.exec(read(file) ?? "");
    if (m) return m[2]!.replace(/^\.\//, "").replace(/\/+$/, "");
  }
  return "build";
}

/** The next.config.* files Next.js loads. */
const NEXT_CONFIGS = ["next.config.js", "next.config.mjs", "next.config.ts", "next.config.mts"];

/** One framework: whether the app uses it, and the entry its build wrote. */
type Rule = (app: FrameworkInputs) => FrameworkStart | undefined;

const RULES: Rule[] = [
  ({ pkg, exists, read }) => {
    if (!depends(pkg, "@sveltejs/adapter-node")) return undefined;
    const entry = `${sveltekitOut(read)}/index.js`;
    // adapter-node binds to HOST, default 0.0.0.0, and PORT.
    return exists(entry) ? { command: ["node", entry], framework: "SvelteKit's adapter-node output" } : undefined;
  },
  ({ pkg, exists }) => {
    // Nuxt 3 and 4 build with Nitro; so can a plain Nitro app. Nitro reads NITRO_PORT or PORT.
    const name = ["nuxt", "nitropack", "nitro"].find((n) => depends(pkg, n));
    const entry = ".output/server/index.mjs";
    if (!name || !exists(entry)) return undefined;
    return { command: ["node", entry], framework: `${name === "nuxt" ? "Nuxt" : "Nitro"}'s node-server output` };
  },
  ({ pkg, exists }) => {
    const entry = "dist/server/entry.mjs";
    if (!depends(pkg, "@astrojs/node") || !exists(entry)) return undefined;
    // Only mode "standalone" writes a server that listens; "middleware" exports a handler.
    return {
      command: ["node", entry],
      framework: "Astro's @astrojs/node standalone output",
      // Astro binds to localhost unless HOST (or server.host) says otherwise.
      env: { HOST: "0.0.0.0" },
    };
  },
  ({ pkg, exists, read }) => {
    if (!depends(pkg, "@react-router/serve", true)) return undefined;
    const entry = REACT_ROUTER_ENTRY;
    if (!exists(entry) || customReactRouterServer(read)) return undefined;
    return { command: ["react-router-serve", entry], framework: "React Router's server build" };
  },
  ({ pkg, exists }) => {
    if (!depends(pkg, "@remix-run/serve", true)) return undefined;
    // Remix with Vite writes build/server/index.js; the classic compiler wrote build/index.js.
    const entry = ["build/server/index.js", "build/index.js"].find((f) => exists(f));
    if (!entry) return undefined;
    return { command: ["remix-serve", entry], framework: "Remix's server build" };
  },
  ({ pkg, exists, read }) => {
    // `next start`, also for output: "standalone" (it only warns then): .next/standalone/server.js
    // serves no .next/static or public unless they are copied next to it (Next.js's docs), and
    // it binds to $HOSTNAME, which a container sets to its own name. output: "export" is a
    // static site, which `next start` refuses to serve.
    if (!depends(pkg, "next", true) || !exists(".next/BUILD_ID")) return undefined;
    if (NEXT_CONFIGS.some((f) => /\boutput\s*:\s*["'`]export["'`]/.test(read(f) ?? ""))) return undefined;
    const bin = "node_modules/next/dist/bin/next";
    if (!exists(bin)) return undefined;
    return { command: ["node", bin, "start"], framework: "Next.js's build (next start)" };
  },
];

/** Where React Router 7 (and Remix with Vite) write the server build. */
const REACT_ROUTER_ENTRY = "build/server/index.js";

/**
 * True when build/server/index.js is not React Router's server build: every server build
 * exports `assetsBuildDirectory`, which react-router-serve reads (and crashes on, with
 * `The "path" argument must be of type string`, when it is missing). A vite.config whose SSR
 * build has its own `input` (an Express app for Vercel's functions:
 * sahibibadov/react-router-7-react-19-ssr-react-compiler) writes that file as a handler that
 * imports the real build from a chunk. Unknown text (unreadable) counts as a server build.
 */
function customReactRouterServer(read: FrameworkInputs["read"]): boolean {
  const text = read(REACT_ROUTER_ENTRY);
  return text !== undefined && !text.includes("assetsBuildDirectory");
}

/**
 * The first framework whose package the app uses and whose server entry the build wrote.
 *
 * @example
 * frameworkStart({ pkg: { devDependencies: { "@sveltejs/adapter-node": "6.0.1" } }, exists: (f) => f === "build/index.js", read: () => undefined })
 * // { command: ["node", "build/index.js"], framework: "SvelteKit's adapter-node output" }
 */
export function frameworkStart(app: FrameworkInputs): FrameworkStart | undefined {
  for (const rule of RULES) {
    const start = rule(app);
    if (start) return start;
  }
  return undefined;
}

/**
 * Why a framework app has no server to start, when its package.json says which adapter it
 * chose: SvelteKit's adapter-auto (and adapter-static, adapter-vercel and the rest) write
 * output for a hosting platform, not a Node server, and the build ends with "Could not detect
 * a supported production environment" or a static site. Said instead of the generic "no start
 * command", with the adapter that makes one. Undefined when nothing names a cause.
 *
 * @example
 * frameworkWithoutServer({ devDependencies: { "@sveltejs/kit": "2.5.0", "@sveltejs/adapter-auto": "3.0.0" } })
 * // "SvelteKit's @sveltejs/adapter-auto writes no Node.js server: …"
 */
export function frameworkWithoutServer(
  pkg: Record<string, unknown>,
  files?: Pick<FrameworkInputs, "exists" | "read">,
): string | undefined {
  if (files && depends(pkg, "@react-router/serve", true) && files.exists(REACT_ROUTER_ENTRY)) {
    if (customReactRouterServer(files.read)) {
      return `React Router's ${REACT_ROUTER_ENTRY} is a custom server entry (vite.config's SSR input), not a server build, so react-router-serve cannot run it: add a "start" script that serves it on $PORT (e.g. "node server.js" calling app.listen), or a Procfile`;
    }
  }
  if (depends(pkg, "@sveltejs/kit") && !depends(pkg, "@sveltejs/adapter-node")) {
    const adapter = ["@sveltejs/adapter-auto", "@sveltejs/adapter-static", "@sveltejs/adapter-vercel"].find((a) =>
      depends(pkg, a),
    );
    if (adapter) {
      return `SvelteKit's ${adapter} writes no Node.js server: add @sveltejs/adapter-node ("npm i -D @sveltejs/adapter-node") and use it in svelte.config.js, and its build/index.js becomes the web process`;
    }
  }
  if (depends(pkg, "astro") && !depends(pkg, "@astrojs/node") && depends(pkg, "@astrojs/vercel")) {
    return `Astro's @astrojs/vercel adapter writes no Node.js server: use @astrojs/node in mode "standalone", and its dist/server/entry.mjs becomes the web process`;
  }
  return undefined;
}
