import { expect, test } from "vitest";
import { angularOutputs, chooseRoot } from "./web-root.js";

const has =
  (...files: string[]) =>
  (p: string) =>
    files.some((f) => f === p || f.startsWith(`${p}/`));

test.each([
  [
    "BP_WEB_SERVER_ROOT wins",
    { setting: "site", exists: has("site/index.html", "dist/index.html") },
    "site",
    "BP_WEB_SERVER_ROOT",
  ],
  [
    "an absolute /workspace root",
    { setting: "/workspace/www/", exists: has("www/a.html") },
    "www",
    "BP_WEB_SERVER_ROOT",
  ],
  [
    "Vite's dist/",
    { framework: { name: "Vite", output: "dist" }, exists: has("dist/index.html", "index.html") },
    "dist",
    "Vite builds into dist/",
  ],
  [
    "Next.js export's out/",
    { framework: { name: "Next.js", output: "out" }, exists: has("out/index.html") },
    "out",
    "Next.js builds into out/",
  ],
  [
    "Angular's dist/<project>/browser",
    {
      framework: { name: "Angular", output: "dist" },
      angular: ["dist/app/browser", "dist/app"],
      exists: has("dist/app/browser/index.html"),
    },
    "dist/app/browser",
    "Angular builds into dist/app/browser/",
  ],
  [
    "Angular before 17: dist/<project>",
    {
      framework: { name: "Angular", output: "dist" },
      angular: ["dist/app/browser", "dist/app"],
      exists: has("dist/app/index.html"),
    },
    "dist/app",
    "Angular builds into dist/app/",
  ],
  [
    "a Node.js build's dist/ over the source index.html",
    { built: true, exists: has("index.html", "dist/index.html") },
    "dist",
    "the build wrote dist/index.html",
  ],
  [
    "a plain site at the root",
    { exists: has("index.html", "public/index.html") },
    ".",
    "index.html is at the app root",
  ],
  [
    "a plain site in public/",
    { exists: has("public/index.html") },
    "public",
    "public/index.html is the only site in the app",
  ],
  [
    "nothing found",
    { exists: has("nginx.conf") },
    ".",
    "no index.html found: serving the app root (set BP_WEB_SERVER_ROOT to choose)",
  ],
])("%s", (_name, input, dir, why) => {
  expect(chooseRoot(input)).toEqual({ dir, why });
});

test("a missing root is one line naming the setting or the framework", () => {
  expect(() => chooseRoot({ setting: "site", exists: has() })).toThrow(
    /^BP_WEB_SERVER_ROOT=site: no such directory in the app$/,
  );
  expect(() => chooseRoot({ framework: { name: "Vite", output: "dist" }, exists: has() })).toThrow(
    /^Vite app: the build wrote no dist\/$/,
  );
});

test.each([
  [
    { projects: { app: { architect: { build: { options: { outputPath: "dist/app" } } } } } },
    ["dist/app/browser", "dist/app"],
  ],
  [{ projects: { app: { architect: { build: { options: { outputPath: { base: "out", browser: "" } } } } } } }, ["out"]],
  [
    { projects: { app: { architect: { build: { options: { outputPath: { base: "out" } } } } } } },
    ["out/browser", "out"],
  ],
  [{ defaultProject: "b", projects: { a: {}, b: {} } }, ["dist/b/browser", "dist/b"]],
  [undefined, []],
])("angularOutputs(%j)", (json, out) => {
  expect(angularOutputs(json)).toEqual(out);
});
