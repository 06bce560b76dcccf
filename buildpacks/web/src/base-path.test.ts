import { expect, test } from "vitest";
import { basePath } from "./base-path.js";

test.each([
  [
    { configs: { next: "module.exports = { output: 'export', basePath: '/nextjs-static-export-poc' }" } },
    "/nextjs-static-export-poc",
  ],
  [{ configs: { vite: "export default defineConfig({ base: '/my-app/', plugins: [react()] })" } }, "/my-app"],
  [{ configs: { vite: "export default { base: './' }" } }, undefined],
  [{ configs: { vite: "export default { base: '/' }" } }, undefined],
  [{ configs: { docusaurus: "baseUrl: '/docs/site/'," } }, "/docs/site"],
  [
    { configs: {}, pkg: { homepage: "https://me.github.io/portfolio", dependencies: { "react-scripts": "5" } } },
    "/portfolio",
  ],
  [{ configs: {}, pkg: { homepage: "https://example.com", dependencies: { "react-scripts": "5" } } }, undefined],
  [{ configs: {}, pkg: { homepage: "https://me.github.io/portfolio" } }, undefined],
  [{ configs: { vite: "base: process.env.BASE" } }, undefined],
])("basePath(%j) = %s", (input, path) => {
  expect(basePath(input)?.path).toBe(path);
});
