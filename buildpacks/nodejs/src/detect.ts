/**
 * Detect: passes for a package.json (providing and requiring `node` and `node_modules`) or a
 * lone server.js / index.js / app.js (`node` only), in BP_NODE_PROJECT_PATH when it is set.
 */
import { type DetectContext, type DetectResult, readSettings } from "@cnbkit/framework";
import { START_FILES } from "./start-command.js";
import type { NodejsMetadata } from "./steps/install-runtime.js";
import { projectPath } from "./workspaces.js";

/** Detects a Node.js app. A package.json with a syntax error stops the build, naming the line. */
export async function detect(ctx: DetectContext<NodejsMetadata>): Promise<DetectResult> {
  const proj = projectPath(readSettings(ctx));
  const rel = (f: string) => (proj === "." ? f : `${proj}/${f}`);
  // Launch only: this buildpack runs Node at build time without asking; a later buildpack
  // that needs it then asks with build = true, and the node layer is kept for builds.
  const node = { name: "node", metadata: { launch: true } };
  if (await ctx.app.exists(rel("package.json"))) {
    await ctx.app.readJson(rel("package.json"));
    return ctx.pass({
      provides: [{ name: "node" }, { name: "node_modules" }],
      requires: [node, { name: "node_modules", metadata: { launch: true } }],
    });
  }
  for (const f of START_FILES) {
    if (await ctx.app.exists(rel(f))) return ctx.pass({ provides: [{ name: "node" }], requires: [node] });
  }
  return ctx.fail(`no package.json or ${START_FILES.join("/")} in ${proj === "." ? "the app" : proj}`);
}
