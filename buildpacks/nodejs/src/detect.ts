/**
 * Detect: passes for a package.json (providing and requiring `node` and `node_modules`) or a
 * lone server.js / index.js / app.js (`node` only), in BP_NODE_PROJECT_PATH when it is set.
 */
import { type DetectContext, type DetectResult, detectRules, readSettings } from "@cnbkit/framework";
import { NODE_BUILD } from "./build-only.js";
import { START_FILES } from "./start-command.js";
import type { NodejsMetadata } from "./steps/install-runtime.js";
import { projectPath } from "./project-path.js";

/**
 * Detects a Node.js app, declared as rules so that the packaged bin/detect is a sh script:
 * an app with neither package.json nor a start file (a Python or Java app) fails without
 * starting Node. A package.json (it must parse) and BP_NODE_PROJECT_PATH go to code.
 */
export const detect = detectRules<NodejsMetadata>({
  rules: [
    { when: { env: "BP_NODE_PROJECT_PATH" }, outcome: "code" },
    { when: { file: "package.json" }, outcome: "code" },
    {
      when: { anyFile: START_FILES },
      outcome: { pass: { provides: [{ name: "node" }], requires: [{ name: "node", metadata: { launch: true } }] } },
    },
  ],
  otherwise: { fail: `no package.json or ${START_FILES.join("/")} in the app` },
  code: detectCode,
});

/** The TypeScript detect. A package.json with a syntax error stops the build, naming the line. */
async function detectCode(ctx: DetectContext<NodejsMetadata>): Promise<DetectResult> {
  const proj = projectPath(readSettings(ctx));
  const rel = (f: string) => (proj === "." ? f : `${proj}/${f}`);
  // Launch only: this buildpack runs Node at build time without asking; a later buildpack
  // that needs it then asks with build = true, and the node layer is kept for builds.
  const node = { name: "node", metadata: { launch: true } };
  if (await ctx.app.exists(rel("package.json"))) {
    await ctx.app.readJson(rel("package.json"));
    const plan = {
      provides: [{ name: "node" }, { name: "node_modules" }],
      requires: [node, { name: "node_modules", metadata: { launch: true } }],
    };
    // The alternative the lifecycle takes when a later buildpack (cnbkit/web) requires only
    // the build (build-only.ts); alone, the first plan is taken.
    return ctx.pass(plan, { ...plan, provides: [...plan.provides, { name: NODE_BUILD }] });
  }
  for (const f of START_FILES) {
    if (await ctx.app.exists(rel(f))) return ctx.pass({ provides: [{ name: "node" }], requires: [node] });
  }
  return ctx.fail(`no package.json or ${START_FILES.join("/")} in ${proj === "." ? "the app" : proj}`);
}
