/**
 * The long suite's part of the Node.js corpus (`npm run test:long`; test/e2e/node-corpus.test.ts
 * is the part CI runs): cases whose code path a CI case already takes, kept for the versions
 * users still have.
 * - yarn 2 and 3, with node_modules and with Plug'n'Play: the same `yarn install --immutable`
 *   and PnP start as yarn 4's two CI cases, on the older lockfile and .pnp.js layouts;
 * - Next.js 16 with npm: CI builds the same app with pnpm (npm's `npm ci` is in every npm case);
 * - the node-gyp addon under the default npm: CI's npm-native-addon builds that fixture under
 *   npm 10, 11 and 12;
 * - a yarn classic workspace: CI builds npm's and pnpm's;
 * - npm 10 building the node-gyp addon: CI builds it under npm 11 and 12 (npm-native-addon);
 * - engines.node 26.x: CI selects 22.x from the same kind of app (node-corpus);
 * - a start command that needs a dev dependency under NODE_ENV=development: CI keeps the dev
 *   dependencies for the same app without it (node-outside-apps);
 * - TypeScript with a build script: CI's TypeScript app runs tsc in its build script too
 *   (node-corpus);
 * - pnpm 8.6.0 (lockfile 6.1) pruning: CI's pnpm 9 and 10 apps prune, and pnpm-prune.test.ts
 *   reads the 6.1 lockfile;
 * - the Vite SSR app with everything in dependencies: CI builds it with vite a devDependency.
 * Together ~550 s of builds, which kept `.ci/run` over its 40 minutes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type AppCase, fixtureAnswer, testAppCases } from "../e2e/app-case.js";
import { nativeAddonPackageJson, server, viteSsrNative } from "../e2e/node-app-shapes.js";
import { ROOT } from "../e2e/support.js";

const EXPRESS_5 = "express 5\\.3\\.0, body-parser 2\\.4\\.0";
const answer = fixtureAnswer;

const cases: Record<string, AppCase> = {
  // From node-fixtures: CI builds the npm and pnpm workspaces (BP_NODE_PROJECT_PATH) and yarn 1's
  // install (express-yarn1); workspace-install.test.ts covers yarn's member selection in process.
  "yarn classic workspace, one member built (BP_NODE_PROJECT_PATH)": {
    fixture: "yarn-workspace",
    env: { BP_NODE_PROJECT_PATH: "packages/web" },
    output: [/yarn install --frozen-lockfile/, /web: yarn start \(default\)/],
    answer: /^200 hello web from a yarn workspace, 3 seconds\n$/,
  },
  // yarn.lock (__metadata 4) by yarn 2.4.2; koa 3, as yarn 2 cannot parse express's
  // "1.0.0beta" version; 44 packages.
  "yarn 2 with node_modules": {
    fixture: "yarn2-node-modules",
    output: [/Using yarn 2\.4\.2/, /yarn install --immutable/, /web: /],
    answer: answer("yarn2-node-modules", "koa 3\\.3\\.0, http-errors 2\\.0\\.1"),
  },
  // yarn.lock by yarn 2.4.2, .pnp.js (not .cjs); koa 2, as yarn 2's PnP runtime rejects
  // node:-prefixed requires (koa 3 has them); 67 packages.
  "yarn 2 with Plug'n'Play": {
    fixture: "yarn2-pnp",
    output: [/Using yarn 2\.4\.2/, /yarn install --immutable/, /web: /],
    answer: answer("yarn2-pnp", "koa 2\\.16\\.4, http-errors 1\\.8\\.1"),
  },
  // yarn.lock (__metadata 6) by yarn 3.8.7; 76 packages.
  "yarn 3 with node_modules": {
    fixture: "yarn3-node-modules",
    output: [/Using yarn 3\.8\.7/, /yarn install --immutable/, /web: /],
    answer: answer("yarn3-node-modules", EXPRESS_5),
  },
  // yarn.lock by yarn 3.8.7, .pnp.cjs; 76 packages.
  "yarn 3 with Plug'n'Play": {
    fixture: "yarn3-pnp",
    output: [/Using yarn 3\.8\.7/, /yarn install --immutable/, /web: /],
    answer: answer("yarn3-pnp", EXPRESS_5),
  },
  // package-lock.json by npm 11.19.1 for next 16.4.5 (the newest whose swc binaries for every
  // platform this registry has), react 19.3.1; 50 packages, 35 of them per-platform optional.
  "Next.js 16 with npm (Turbopack build)": {
    fixture: "next-npm",
    output: [/npm ci/, /next build/, /web: /],
    answer: /^200 <!DOCTYPE html>[\s\S]*next-npm on Next\.js/,
  },
  // package-lock.json by npm 11.19.1; hello-native is file:./native, an N-API addon in C
  // whose install script is node-gyp rebuild (no prebuilt binary, headers only from the
  // runtime); debug and ms from the registry.
  "native addon compiled by node-gyp": {
    fixture: "native-addon",
    output: [/npm ci/, /web: /],
    answer: answer("native-addon", "6 \\* 7 = 42 computed by the hello-native addon"),
  },
  "npm 10 runs the addon's node-gyp build": {
    fixture: "native-addon",
    files: nativeAddonPackageJson("10.x"),
    output: [/Using npm 10\.\d+\.\d+/],
    answer: answer("native-addon", "6 \\* 7 = 42 computed by the hello-native addon"),
  },
  // As engines-22, with "26.x".
  "engines.node 26.x": {
    fixture: "engines-26",
    output: [/Selected Node\.js 26\.10\.0/, /npm ci/, /web: /],
    answer: /^200 engines-26 on v26\.10\.0, debug says 2 minutes\n$/,
  },
  // package-lock.json by npm 11.19.1; start is "tsx server.ts" with tsx a dev dependency, and
  // server.ts has an enum, which Node's own type stripping refuses; 31 packages, all dev.
  "start command that runs a dev dependency (NODE_ENV=development)": {
    fixture: "dev-start-tool",
    env: { NODE_ENV: "development" },
    output: [/npm ci/, /Keeping dev dependencies/, /web: /],
    answer: answer("dev-start-tool", "server\\.ts run by tsx 4\\.23\\.15"),
  },
  // The typescript fixture: tsc -p . in its build script, npm start running the output.
  "TypeScript with a build script": {
    fixture: "typescript",
    output: [/tsc -p \./, /web: npm start \(default\)/],
    answer: /^200 typescript compiled by tsc, running on v24\.21\.0\n$/,
  },
  // pnpm-lock.yaml (6.1) by pnpm 8.6.0: debug (with ms), dev is-odd (with is-number); the
  // build script and the postinstall need is-odd, so a prune that runs them again fails.
  "pnpm 8.6.0 (lockfile 6.1) prunes": {
    fixture: "pnpm8-prune",
    files: {
      "package.json": JSON.stringify({
        name: "pnpm8-prune",
        version: "1.0.0",
        private: true,
        packageManager: "pnpm@8.6.0",
        scripts: {
          build: `node -e "require('is-odd')"`,
          postinstall: `node -e "require('is-odd')"`,
          start: "node server.js",
        },
        dependencies: { debug: "4.4.3" },
        devDependencies: { "is-odd": "3.0.1" },
      }),
      "pnpm-lock.yaml": readFileSync(join(ROOT, "buildpacks/nodejs/testdata/pnpm-prune/pnpm-lock.v6.1.yaml"), "utf8"),
      "server.js": server("pnpm8-prune", "'debug says ' + require('debug').humanize(120000)"),
    },
    output: [/Using pnpm 8\.6\.0/, /pnpm prune --prod --config\.ignore-scripts=true/],
    answer: /^200 pnpm8-prune: debug says 2m\n$/,
  },
  // As Astro starters have it (astro in dependencies, no devDependencies): nothing to prune, so
  // the build runs on launch_modules, the layer named in Astro 4's "Rollup failed to resolve".
  "Vite SSR build: a bundled dependency imports an optional native package (Astro's sharp), all in dependencies":
    viteSsrNative("dependencies", [/npm ci/, /vite build --ssr/]),
};

// Two builds at a time, as in the CI part.
testAppCases(cases);
