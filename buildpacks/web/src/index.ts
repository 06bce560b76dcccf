/**
 * cnbkit's web server buildpack: serves a static site or a single-page app with nginx, as the
 * CNB user on $PORT (default 8080). A plain HTML folder, an app that asks for nginx, or
 * (after cnbkit/nodejs) what a Node.js build wrote when the app has no server: Vite, Create
 * React App, Angular, Astro, SvelteKit adapter-static, Next.js `output: "export"`, Docusaurus.
 *
 * detect.ts and build.ts hold the two phases; build.ts lists its steps (steps/), and the
 * decisions live in pure modules beside them (static-app, web-root, settings, nginx-conf,
 * launch-script).
 */
import { buildpack } from "@cnbkit/framework";
import { detect } from "./detect.js";
import { parseMetadata, type WebMetadata } from "./metadata.js";

export type { WebMetadata } from "./metadata.js";

export default buildpack<WebMetadata>({
  metadata: parseMetadata,
  detect,
  build: async (ctx) => (await import("./build.js")).build(ctx),
});
