/**
 * Which apps cnbkit/web serves, decided from file facts alone (detect and build share it):
 * a plain static site, an app that asks for nginx, or a Node.js app whose build writes a
 * static site and that has no server of its own. Conservative on purpose: the Node.js + web
 * group comes before the plain Node.js group, so an app wrongly taken here would lose its
 * server.
 */

/** What detect knows about the app: which paths exist and the texts of a few config files. */
export interface AppFacts {
  exists(path: string): boolean;
  /** package.json, parsed; undefined when there is none. */
  pkg?: Record<string, unknown> | undefined;
  /** next.config.{js,mjs,ts}, svelte.config.js, astro.config.{mjs,ts} texts, when present. */
  configs?: Partial<Record<"next" | "svelte" | "astro" | "vite" | "docusaurus", string | undefined>>;
  /**
   * BP_NODE_RUN_SCRIPTS: the scripts cnbkit/nodejs runs instead of `build` (`docs:build`, which
   * `vitepress init` writes, for one).
   */
  nodeRunScripts?: string | undefined;
}

/** A static-site generator or SPA toolchain, and the directory its build writes. */
export interface StaticFramework {
  name: string;
  /** Its default output, relative to the app; Angular's is read from angular.json at build. */
  output: string;
}

/** The decision: serve (with why, and whether a Node.js build comes first), or not (why not). */
export type WebDecision =
  | { serve: true; why: string; node: boolean; framework?: StaticFramework | undefined }
  | { serve: false; why: string };

/** Where a plain static site keeps its index.html, in the order the root is chosen. */
export const STATIC_DIRS = [".", "public", "dist", "build"] as const;

/** Files of another language's app: a folder with one of them is not a plain static site. */
export const OTHER_APP_FILES = [
  "requirements.txt",
  "pyproject.toml",
  "Pipfile",
  "setup.py",
  "setup.cfg",
  "poetry.lock",
  "uv.lock",
  "manage.py",
  "main.py",
  "app.py",
  "server.py",
  "pom.xml",
  "build.gradle",
  "build.gradle.kts",
  "go.mod",
  "Gemfile",
  "composer.json",
  "Cargo.toml",
  "Procfile",
  "server.js",
  "app.js",
];

/** Dependencies that mean the app runs a server of its own (cnbkit/nodejs starts it). */
const SERVER_DEPENDENCIES = [
  "express",
  "fastify",
  "koa",
  "@hapi/hapi",
  "@nestjs/core",
  "nuxt",
  "@remix-run/node",
  "@remix-run/serve",
  "@react-router/serve",
  "@react-router/node",
  "@sveltejs/adapter-node",
  "@astrojs/node",
  "@hono/node-server",
  "@angular/ssr",
  "polka",
  "restify",
  "socket.io",
  "json-server",
];

/**
 * A start script that runs a dev server or a static file server, not the app's own server:
 * serving the build output with nginx replaces it. The command may follow `cross-env` and
 * variable settings (`cross-env PORT=4100 react-scripts start`, as older CRA apps have it).
 */
const NOT_A_SERVER_START =
  /^\s*(?:cross-env\s+)?(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(react-scripts start|ng serve|vite(\s+(dev|preview|serve))?|astro (dev|preview|start)|docusaurus (start|serve)|gatsby (develop|serve)|vue-cli-service serve|vitepress (dev|preview)|serve\b|http-server\b|sirv\b|live-server\b)/;

/** The static framework of a package.json's dependencies, or why it has a server. */
export function staticFramework(
  pkg: Record<string, unknown>,
  configs: AppFacts["configs"] = {},
): StaticFramework | { server: string } | undefined {
  const deps = { ...record(pkg.dependencies), ...record(pkg.devDependencies) };
  const has = (name: string) => name in deps;
  const runtimeDeps = record(pkg.dependencies);
  const server = SERVER_DEPENDENCIES.find((d) => d in runtimeDeps || (d.includes("/") && has(d)));
  if (has("next")) {
    return /output\s*:\s*["'`]export["'`]/.test(configs.next ?? "")
      ? { name: 'Next.js (output: "export")', output: "out" }
      : { server: 'Next.js without output: "export" runs next start' };
  }
  if (server) return { server: `package.json depends on ${server}` };
  if (has("@sveltejs/kit")) {
    return has("@sveltejs/adapter-static")
      ? { name: "SvelteKit (adapter-static)", output: svelteOutput(configs.svelte) }
      : { server: "SvelteKit without @sveltejs/adapter-static" };
  }
  if (has("astro")) {
    if (
      /output\s*:\s*["'`](server|hybrid)["'`]/.test(configs.astro ?? "") ||
      Object.keys(deps).some(
        (d) => d.startsWith("@astrojs/") && ["node", "vercel", "netlify", "cloudflare"].includes(d.slice(8)),
      )
    ) {
      return { server: "Astro with a server adapter" };
    }
    return { name: "Astro", output: "dist" };
  }
  if (has("@docusaurus/core")) return { name: "Docusaurus", output: "build" };
  if (has("gatsby")) return { name: "Gatsby", output: "public" };
  if (has("react-scripts")) return { name: "Create React App", output: "build" };
  if (has("@angular/core") && (has("@angular/build") || has("@angular-devkit/build-angular")))
    return { name: "Angular", output: "dist" };
  if (has("@vue/cli-service")) return { name: "Vue CLI", output: "dist" };
  if (has("vitepress")) return { name: "VitePress", output: "docs/.vitepress/dist" };
  if (has("vite")) return { name: "Vite", output: "dist" };
  return undefined;
}

/** adapter-static's `pages` option, when svelte.config.js sets it as a string; else build/. */
function svelteOutput(config: string | undefined): string {
  return /pages\s*:\s*["'`]([^"'`]+)["'`]/.exec(config ?? "")?.[1] ?? "build";
}

/**
 * Whether cnbkit/web serves the app, and why. `webServer` is BP_WEB_SERVER.
 *
 * @example
 * decideWeb({ exists: (p) => p === "index.html" }, undefined); // { serve: true, why: "index.html ...", node: false }
 */
export function decideWeb(facts: AppFacts, webServer: string | undefined): WebDecision {
  if (webServer !== undefined && webServer !== "" && webServer !== "nginx") {
    return { serve: false, why: `BP_WEB_SERVER=${webServer}: cnbkit/web serves with nginx only` };
  }
  const asked = webServer === "nginx" ? "BP_WEB_SERVER=nginx" : undefined;
  const ownConf = facts.exists("nginx.conf");
  if (facts.pkg) {
    const node = nodeStatic(facts);
    if (node.serve) return node;
    // An app that asks for nginx still gets its Node.js build first.
    if (asked) return { serve: true, why: `${asked} (${node.why})`, node: true };
    return node;
  }
  if (asked) return { serve: true, why: asked, node: false };
  if (ownConf) return { serve: true, why: "the app has its own nginx.conf", node: false };
  const other = OTHER_APP_FILES.find((f) => facts.exists(f));
  const dir = STATIC_DIRS.find((d) => facts.exists(d === "." ? "index.html" : `${d}/index.html`));
  if (!dir)
    return { serve: false, why: "no index.html at the app root or in public/, dist/ or build/, and no nginx.conf" };
  if (other)
    return { serve: false, why: `${other} makes it another kind of app (set BP_WEB_SERVER=nginx to serve it)` };
  return {
    serve: true,
    why: `${dir === "." ? "index.html" : `${dir}/index.html`} and no app files of another language`,
    node: false,
  };
}

/** A Node.js app's verdict: serve its static build when it has no server. */
function nodeStatic(facts: AppFacts): WebDecision {
  const pkg = facts.pkg ?? {};
  if (facts.exists("Procfile")) return { serve: false, why: "the Procfile sets the processes" };
  // A Django, Rails or Laravel app that builds its assets with Vite serves them itself.
  const other = OTHER_APP_FILES.find((f) => !["Procfile", "server.js", "app.js"].includes(f) && facts.exists(f));
  if (other) return { serve: false, why: `${other}: the Node.js build is another app's assets` };
  const fw = staticFramework(pkg, facts.configs);
  if (fw && "server" in fw) return { serve: false, why: fw.server };
  const scripts = record(pkg.scripts);
  const start = typeof scripts.start === "string" ? scripts.start : undefined;
  // `next start` cannot serve an export (next build says so): the export is what is served.
  const exportStart = fw?.output === "out" && /^\s*next start/.test(start ?? "");
  if (start !== undefined && !NOT_A_SERVER_START.test(start) && !exportStart) {
    return { serve: false, why: `package.json scripts.start ("${start}") starts a server` };
  }
  if (fw) {
    if (typeof scripts.build !== "string" && !runsOwnScripts(facts.nodeRunScripts, scripts)) {
      // `vitepress init` writes docs:build, not build: say which script to name.
      const other = Object.keys(scripts).find((n) => /(^|:)build$/.test(n));
      const hint = other ? ` (it has "${other}": set BP_NODE_RUN_SCRIPTS=${other})` : "";
      return { serve: false, why: `${fw.name} app without a "build" script${hint}` };
    }
    return { serve: true, why: `${fw.name} writes a static site and the app has no server`, node: true, framework: fw };
  }
  if (start !== undefined) return { serve: true, why: `scripts.start ("${start}") only serves files`, node: true };
  const main = typeof pkg.main === "string" ? pkg.main : undefined;
  if (main && facts.exists(main)) return { serve: false, why: `package.json main (${main}) is a server to start` };
  const file = ["server.js", "index.js", "app.js"].find((f) => facts.exists(f));
  if (file) return { serve: false, why: `${file} is a server to start` };
  const html = ["index.html", "public/index.html", "src/index.html"].find((f) => facts.exists(f));
  if (typeof scripts.build === "string" && html) {
    return { serve: true, why: `a "build" script, ${html} and no server`, node: true };
  }
  return { serve: false, why: "no static build: package.json has no build script writing an index.html" };
}

/** Whether BP_NODE_RUN_SCRIPTS names scripts the app has: cnbkit/nodejs runs those as its build. */
function runsOwnScripts(names: string | undefined, scripts: Record<string, unknown>): boolean {
  const list = (names ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  return list.length > 0 && list.every((n) => typeof scripts[n] === "string");
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Dependencies that route on the client: their apps get the index.html fallback by default. */
const CLIENT_ROUTERS = [
  "react-router",
  "react-router-dom",
  "@tanstack/react-router",
  "vue-router",
  "@angular/router",
  "svelte-spa-router",
  "svelte-routing",
  "wouter",
  "@solidjs/router",
  "preact-router",
  "@reach/router",
];

/** The page unknown paths answer by default, and why: a SPA's entry, or undefined for none. */
export interface SpaFallback {
  /** `/index.html`, or SvelteKit adapter-static's `fallback` page (`/200.html`). */
  page: string;
  why: string;
}

/**
 * The default push-state fallback: SvelteKit adapter-static's `fallback` page when
 * svelte.config names one (its SPA mode), else index.html for an app with a client-side router.
 *
 * @example
 * spaFallback({ dependencies: { "vue-router": "4" } }, {}); // { page: "/index.html", why: "the app uses vue-router" }
 */
export function spaFallback(
  pkg: Record<string, unknown> | undefined,
  configs: AppFacts["configs"] = {},
): SpaFallback | undefined {
  const svelte = /fallback\s*:\s*["'`]([^"'`/]+\.html)["'`]/.exec(configs.svelte ?? "")?.[1];
  if (svelte && pkg && "@sveltejs/adapter-static" in { ...record(pkg.dependencies), ...record(pkg.devDependencies) }) {
    return { page: `/${svelte}`, why: `adapter-static's fallback is ${svelte}` };
  }
  const router = clientRouter(pkg);
  return router ? { page: "/index.html", why: `the app uses ${router}` } : undefined;
}

/** The client-side router the app depends on, if any (push state is then on by default). */
export function clientRouter(pkg: Record<string, unknown> | undefined): string | undefined {
  if (!pkg) return undefined;
  const deps = { ...record(pkg.dependencies), ...record(pkg.devDependencies) };
  return CLIENT_ROUTERS.find((r) => r in deps);
}
