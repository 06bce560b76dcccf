/**
 * Detect: passes for an app that asks for nginx (BP_WEB_SERVER=nginx, or its own nginx.conf),
 * a plain static site (an index.html at the root or in public/, dist/, build/, and no other
 * language's files), or a Node.js app whose build writes a static site and that has no
 * server (static-app.ts decides). For the Node.js app it requires `node_build`, which only
 * cnbkit/nodejs provides, so it passes only in the Node.js + web group, and cnbkit/nodejs,
 * seeing the requirement, keeps its runtime and node_modules out of the image.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type DetectContext, type DetectResult, detectRules, readSettings } from "@cnbkit/framework";
import { type AppFacts, decideWeb } from "./static-app.js";
import type { WebMetadata } from "./metadata.js";

/** Files that make detect look closer; without any of them it fails in sh, without Node. */
const WEB_FILES = [
  "package.json",
  "nginx.conf",
  "index.html",
  "public/index.html",
  "dist/index.html",
  "build/index.html",
];

/** Detects an app cnbkit/web serves; declared as rules so most non-web apps never start Node. */
export const detect = detectRules<WebMetadata>({
  rules: [
    { when: { env: "BP_WEB_SERVER" }, outcome: "code" },
    { when: { anyFile: WEB_FILES }, outcome: "code" },
  ],
  otherwise: { fail: "no index.html, nginx.conf or package.json, and BP_WEB_SERVER is not set" },
  code: detectCode,
});

/** The plan entry cnbkit/nodejs provides: its build, without a runtime in the image. */
export const NODE_BUILD = "node_build";

async function detectCode(ctx: DetectContext<WebMetadata>): Promise<DetectResult> {
  const settings = readSettings(ctx);
  const facts = { ...(await readFacts(ctx.app.path)), nodeRunScripts: settings.BP_NODE_RUN_SCRIPTS };
  const decision = decideWeb(facts, settings.BP_WEB_SERVER?.trim());
  if (!decision.serve) return ctx.fail(decision.why);
  ctx.log.detail(`Serving with nginx: ${decision.why}`);
  return ctx.pass(decision.node ? { requires: [{ name: NODE_BUILD }] } : {});
}

/** The facts static-app.ts decides on, read from the app directory. */
export async function readFacts(app: string): Promise<AppFacts> {
  const { readFile } = await import("node:fs/promises");
  const text = (f: string) => readFile(join(app, f), "utf8").catch(() => undefined);
  const first = async (files: string[]) => {
    for (const f of files) {
      const t = await text(f);
      if (t !== undefined) return t;
    }
    return undefined;
  };
  const pkgText = await text("package.json");
  let pkg: Record<string, unknown> | undefined;
  if (pkgText !== undefined) {
    try {
      const parsed: unknown = JSON.parse(pkgText);
      pkg = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      // cnbkit/nodejs reports a package.json that does not parse, naming the line.
      pkg = {};
    }
  }
  return {
    exists: (p) => existsSync(join(app, p)),
    pkg,
    configs: pkg
      ? {
          next: await first(["next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs"]),
          svelte: await first(["svelte.config.js", "svelte.config.mjs", "svelte.config.ts"]),
          astro: await first(["astro.config.mjs", "astro.config.ts", "astro.config.js"]),
          vite: await first(["vite.config.js", "vite.config.ts", "vite.config.mjs", "vite.config.mts"]),
          docusaurus: await first(["docusaurus.config.js", "docusaurus.config.ts", "docusaurus.config.mjs"]),
        }
      : {},
  };
}
