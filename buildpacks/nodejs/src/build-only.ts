/**
 * Whether a later buildpack serves what this build writes, so Node.js is needed only to build:
 * cnbkit/web requires `node_build` for a Node.js app whose build writes a static site and
 * that has no server (a Vite SPA, Angular, Astro, SvelteKit adapter-static, a Next.js
 * export). Then the runtime and node_modules are build layers, not in the image, and there
 * is no start command to find.
 */

/** The plan entry cnbkit/web requires and this buildpack provides (detect.ts, the `or` plan). */
export const NODE_BUILD = "node_build";

/** True when the build plan asks for the build only. */
export function buildOnly(plan: { has(name: string): boolean }): boolean {
  return plan.has(NODE_BUILD);
}
