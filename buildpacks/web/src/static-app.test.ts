import { describe, expect, test } from "vitest";
import { type AppFacts, clientRouter, decideWeb, spaFallback } from "./static-app.js";

/** Facts for a table row: files that exist, a package.json, config texts. */
function facts(files: string[], pkg?: Record<string, unknown>, configs: AppFacts["configs"] = {}): AppFacts {
  return { exists: (p) => files.includes(p), pkg, configs };
}

const vite = { scripts: { dev: "vite", build: "vite build" }, devDependencies: { vite: "^7" } };

describe("decideWeb", () => {
  test("a `vitepress init` app (docs:build, no build): not served until BP_NODE_RUN_SCRIPTS names docs:build", () => {
    const pkg = { scripts: { "docs:build": "vitepress build docs" }, devDependencies: { vitepress: "^1.6.4" } };
    expect(decideWeb(facts(["docs/index.md"], pkg), undefined)).toEqual({
      serve: false,
      why: 'VitePress app without a "build" script (it has "docs:build": set BP_NODE_RUN_SCRIPTS=docs:build)',
    });
    const asked = { ...facts(["docs/index.md"], pkg), nodeRunScripts: "docs:build" };
    expect(decideWeb(asked, undefined)).toMatchObject({ serve: true, node: true });
    expect(decideWeb({ ...asked, nodeRunScripts: "docs:biuld" }, undefined).serve).toBe(false);
  });

  test.each<[string, AppFacts, string | undefined, boolean | "node"]>([
    ["plain index.html", facts(["index.html"]), undefined, true],
    ["index.html in public/", facts(["public/index.html"]), undefined, true],
    ["index.html in build/", facts(["build/index.html"]), undefined, true],
    [
      "index.html beside index.js (a site's script, no package.json)",
      facts(["index.html", "index.js"]),
      undefined,
      true,
    ],
    ["the app's own nginx.conf", facts(["nginx.conf"]), undefined, true],
    ["BP_WEB_SERVER=nginx on an empty app", facts([]), "nginx", true],
    ["BP_WEB_SERVER=httpd", facts(["index.html"]), "httpd", false],
    ["nothing to serve", facts(["README.md"]), undefined, false],
    [
      "a Python app with templates/index.html and requirements.txt",
      facts(["index.html", "requirements.txt"]),
      undefined,
      false,
    ],
    ["a Procfile app", facts(["index.html", "Procfile"]), undefined, false],
    ["a Node server.js beside public/index.html", facts(["public/index.html", "server.js"]), undefined, false],
    ["a Vite SPA", facts(["package.json", "index.html"], vite), undefined, "node"],
    [
      "Vite with express in dependencies (SSR)",
      facts(["index.html"], { ...vite, dependencies: { express: "4" } }),
      undefined,
      false,
    ],
    ["Vite assets of a Django app", facts(["index.html", "manage.py"], vite), undefined, false],
    [
      "Create React App (start is the dev server)",
      facts([], {
        scripts: { start: "react-scripts start", build: "react-scripts build" },
        dependencies: { "react-scripts": "5" },
      }),
      undefined,
      "node",
    ],
    [
      "Create React App 1.x (cross-env sets the dev server's port)",
      facts([], {
        scripts: { start: "cross-env PORT=4100 react-scripts start", build: "react-scripts build" },
        dependencies: { "react-scripts": "1.1.5", "cross-env": "5" },
      }),
      undefined,
      "node",
    ],
    [
      "a server started through cross-env",
      facts([], {
        scripts: { start: "cross-env NODE_ENV=production node server.js", build: "react-scripts build" },
        dependencies: { "react-scripts": "5", "cross-env": "7" },
      }),
      undefined,
      false,
    ],
    [
      "Angular (ng serve)",
      facts([], {
        scripts: { start: "ng serve", build: "ng build" },
        dependencies: { "@angular/core": "20" },
        devDependencies: { "@angular/build": "20" },
      }),
      undefined,
      "node",
    ],
    [
      "Angular SSR",
      facts([], {
        scripts: { build: "ng build" },
        dependencies: { "@angular/core": "20", "@angular/ssr": "20" },
        devDependencies: { "@angular/build": "20" },
      }),
      undefined,
      false,
    ],
    ["Astro static", facts([], { scripts: { build: "astro build" }, dependencies: { astro: "5" } }), undefined, "node"],
    [
      "Astro with @astrojs/node",
      facts([], { scripts: { build: "astro build" }, dependencies: { astro: "5", "@astrojs/node": "9" } }),
      undefined,
      false,
    ],
    [
      "SvelteKit adapter-static",
      facts([], {
        scripts: { build: "vite build" },
        devDependencies: { "@sveltejs/kit": "2", "@sveltejs/adapter-static": "3", vite: "7" },
      }),
      undefined,
      "node",
    ],
    [
      "SvelteKit adapter-node",
      facts([], {
        scripts: { build: "vite build" },
        devDependencies: { "@sveltejs/kit": "2", "@sveltejs/adapter-node": "5" },
      }),
      undefined,
      false,
    ],
    [
      "Next.js export",
      facts(
        [],
        { scripts: { build: "next build", start: "next start" }, dependencies: { next: "15" } },
        { next: 'export default { output: "export" }' },
      ),
      undefined,
      "node",
    ],
    [
      "Next.js server",
      facts(
        [],
        { scripts: { build: "next build", start: "next start" }, dependencies: { next: "15" } },
        { next: "export default {}" },
      ),
      undefined,
      false,
    ],
    [
      "Docusaurus",
      facts([], {
        scripts: { start: "docusaurus start", build: "docusaurus build" },
        dependencies: { "@docusaurus/core": "3" },
      }),
      undefined,
      "node",
    ],
    [
      "an express app",
      facts(["server.js"], { scripts: { start: "node server.js" }, dependencies: { express: "5" } }),
      undefined,
      false,
    ],
    [
      "a start script that runs a server",
      facts([], { scripts: { start: "node dist/main.js", build: "tsc" } }),
      undefined,
      false,
    ],
    [
      "a build script, index.html, no server",
      facts(["index.html"], { scripts: { build: "node build.mjs" } }),
      undefined,
      "node",
    ],
    ["a library: build script, no index.html", facts([], { scripts: { build: "tsc" } }), undefined, false],
    ["a Node app asking for nginx", facts(["server.js"], { scripts: { start: "node server.js" } }), "nginx", "node"],
  ])("%s", (_name, f, server, expected) => {
    const d = decideWeb(f, server);
    expect(d.serve ? (d.node ? "node" : true) : false, d.why).toBe(expected);
  });
  test("says why, in words a user reads", () => {
    expect(decideWeb(facts(["index.html", "requirements.txt"]), undefined).why).toBe(
      "requirements.txt makes it another kind of app (set BP_WEB_SERVER=nginx to serve it)",
    );
  });
});

test.each([
  [
    { devDependencies: { "@sveltejs/adapter-static": "3" } },
    "export default { kit: { adapter: adapter({ fallback: '200.html' }) } }",
    "/200.html",
  ],
  [
    { devDependencies: { "@sveltejs/adapter-static": "3" } },
    "export default { kit: { adapter: adapter() } }",
    undefined,
  ],
  [{ dependencies: { "vue-router": "4" } }, undefined, "/index.html"],
])("spaFallback(%j, %s) = %s", (pkg, svelte, page) => {
  expect(spaFallback(pkg, { svelte })?.page).toBe(page);
});

test.each([
  [{ dependencies: { "react-router-dom": "7" } }, "react-router-dom"],
  [{ dependencies: { "vue-router": "4" } }, "vue-router"],
  [{ dependencies: { react: "19" } }, undefined],
  [undefined, undefined],
])("clientRouter(%j) = %s", (pkg, router) => {
  expect(clientRouter(pkg)).toBe(router);
});
