/**
 * Node.js apps of every kind the reference builder promises, each built with `buildApp`
 * (what `cnbkit build` runs) and then run under runc and asked over HTTP: no package manager,
 * pnpm with no packageManager field, SvelteKit with no start script, npm 12 skipping an
 * unapproved install script, a Yarn 4 native addon whose compile fails (the compiler's lines
 * must show), and npm and pnpm workspaces. Yarn classic's workspace and TypeScript with a build
 * script are in the long suite (test/long/node-corpus.test.ts). Lockfiles in test/e2e/fixtures
 * were written by the real tools (yarn 1.22.22, pnpm 9.15.9, npm 11 and 12). Yarn 1 to 4 apps,
 * each with node_modules and Plug'n'Play, are node-corpus.test.ts's.
 */
import { type AppCase, testAppCases } from "./app-case.js";

const cases: Record<string, AppCase> = {
  "no package manager (server.js only)": {
    fixture: "server-only",
    output: [/web: node server\.js \(default\)/],
    answer: /^200 server-only on v24\.21\.0\n$/,
  },
  pnpm: {
    fixture: "pnpm",
    output: [/pnpm install --frozen-lockfile/, /web: pnpm start \(default\)/],
    answer: /^200 pnpm says 2 minutes\n$/,
  },
  // package-lock.json by npm 11.19.1 for @sveltejs/kit 3.2.0 with adapter-node 6.0.1, all dev
  // dependencies as SvelteKit's template has them; no start script: the web process is the
  // server adapter-node wrote, found after the build and run after the prune.
  "SvelteKit with adapter-node, no start script": {
    fixture: "sveltekit-node",
    output: [
      /vite build/,
      /node build\/index\.js \(SvelteKit's adapter-node output; package\.json has no start script\)/,
    ],
    answer: /^200 sveltekit-node: adapter-node output on v24\.\d+\.\d+\n$/,
  },
  // package-lock.json by npm 12.2.1; engines.npm pins it. es5-ext's postinstall is not in
  // allowScripts, so npm 12 skips it and exits 0: the build must say so, naming it.
  "npm 12 skipping an install script that allowScripts does not approve": {
    fixture: "npm12-install-scripts",
    output: [
      /Using npm 12\.2\.1/,
      /Warning: npm skipped the install scripts of 1 dependency that package\.json "allowScripts" does not approve: es5-ext@0\.10\.64 \(postinstall\)/,
      /run "npm approve-scripts es5-ext"/,
    ],
    answer: /^200 npm12-install-scripts: es5-ext 0\.10\.64\n$/,
  },
  // yarn.lock by Yarn 4.9.2 (which runs dependency build scripts; 4.14+ do not by default).
  // hello-native is file:./native, an N-API addon whose C does not compile: Yarn says only
  // "couldn't be built", with the compiler's output in a log file inside the build
  // container; the build must show that file's error lines and say which package failed.
  "Yarn 4 with a native addon that does not compile": {
    fixture: "yarn4-native-build-failure",
    output: [
      /hello-native@file:\.\/native: its build's error lines \(from \/tmp\/xfs-[0-9a-f]+\/build\.log\)/,
      /\.\.\/hello\.c:12:12: error: too few arguments to function .napi_create_double./,
      /make: \*\*\* \[hello_native\.target\.mk/,
    ],
    expectFailure:
      /hello-native@file:\.\/native could not be built: its C\/C\+\+ sources do not compile against Node\.js 24\.21\.0/,
  },
  "npm workspace, one member built (BP_NODE_PROJECT_PATH)": {
    fixture: "workspace",
    env: { BP_NODE_PROJECT_PATH: "packages/web" },
    output: [/npm ci/],
    answer: /^200 hello web from a workspace package, 3 seconds\n$/,
  },
  "pnpm workspace, one member built (BP_NODE_PROJECT_PATH)": {
    fixture: "pnpm-workspace",
    env: { BP_NODE_PROJECT_PATH: "packages/web" },
    output: [/pnpm install --frozen-lockfile/, /web: pnpm start \(default\)/],
    answer: /^200 hello web from a pnpm workspace, 3 seconds\n$/,
  },
};

testAppCases(cases);
