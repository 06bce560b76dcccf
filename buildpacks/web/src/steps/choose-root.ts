/**
 * Step: the directory nginx serves (web-root.ts decides), said in one line, and whether
 * unknown paths fall back to index.html (BP_WEB_SERVER_ENABLE_PUSH_STATE, else on for an app
 * with a client-side router).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { StepContext } from "@cnbkit/framework";
import { type BasePath, basePath } from "../base-path.js";
import { readFacts } from "../detect.js";
import type { WebSettings } from "../settings.js";
import { spaFallback, staticFramework } from "../static-app.js";
import { angularOutputs, chooseRoot, type WebRoot } from "../web-root.js";

/** What is served and how unknown paths answer. */
export interface Served {
  root: WebRoot;
  /** Absolute path of the root. */
  path: string;
  pushState: boolean;
  /** The page push state falls back to: `/index.html`, or SvelteKit's `fallback`. */
  fallbackPage: string;
  /** The URL path the build expects to be served under (base-path.ts), when it names one. */
  base?: BasePath | undefined;
}

/** Chooses the root and push state, after any earlier buildpack's build wrote the site. */
export async function chooseServed(ctx: StepContext<"app" | "log">, settings: WebSettings): Promise<Served> {
  const app = ctx.app.path;
  const facts = await readFacts(app);
  const fw = facts.pkg ? staticFramework(facts.pkg, facts.configs) : undefined;
  const framework = fw && !("server" in fw) ? fw : undefined;
  const angular =
    framework?.name === "Angular"
      ? angularOutputs(await readFile(join(app, "angular.json"), "utf8").then(JSON.parse, () => undefined))
      : undefined;
  const root = chooseRoot({
    setting: settings.root,
    framework,
    angular,
    // With a package.json, web passes only after cnbkit/nodejs (it requires node_build), whose
    // build has run. (node_build is in nodejs's buildpack plan, not in this one's.)
    built: facts.pkg !== undefined,
    exists: (p) => existsSync(join(app, p)),
  });
  ctx.log.step("Site");
  ctx.log.detail(`Serving ${root.dir === "." ? "the app root" : `${root.dir}/`} (${root.why})`);
  const spa = spaFallback(facts.pkg, facts.configs);
  const pushState = settings.pushState ?? spa !== undefined;
  const page = spa?.page ?? "/index.html";
  ctx.log.detail(
    settings.pushState !== undefined
      ? `Push state ${pushState ? "on" : "off"} (BP_WEB_SERVER_ENABLE_PUSH_STATE)`
      : pushState
        ? `Push state on: unknown paths answer ${page.slice(1)} (${spa?.why}; BP_WEB_SERVER_ENABLE_PUSH_STATE=false turns it off)`
        : "Push state off: unknown paths are 404 (BP_WEB_SERVER_ENABLE_PUSH_STATE=true for a client-routed app)",
  );
  const base = facts.pkg ? basePath({ configs: facts.configs ?? {}, pkg: facts.pkg }) : undefined;
  if (base) ctx.log.detail(`Served under ${base.path}/ (${base.source}); / redirects there`);
  return { root, path: root.dir === "." ? app : join(app, root.dir), pushState, fallbackPage: page, base };
}
