/**
 * The long suite's part of the Node.js corpus (`npm run test:long`; test/e2e/node-corpus.test.ts
 * is the part CI runs): cases whose code path a CI case already takes, kept for the versions
 * users still have.
 * - yarn 2 and 3, with node_modules and with Plug'n'Play: the same `yarn install --immutable`
 *   and PnP start as yarn 4's two CI cases, on the older lockfile and .pnp.js layouts;
 * - Next.js 16 with npm: CI builds the same app with pnpm (npm's `npm ci` is in every npm case);
 * - the node-gyp addon under the default npm: CI's npm-native-addon builds that fixture under
 *   npm 10, 11 and 12;
 * - a yarn classic workspace: CI builds npm's and pnpm's.
 * Together ~250 s of builds, which kept `.ci/run` over its 40 minutes.
 */
import { beforeAll, test } from "vitest";
import type { Binding } from "../../builder-packager/src/platform/index.js";
import { type AppCase, buildAndAsk, fixtureAnswer } from "../e2e/app-case.js";
import { caBindings, referenceBuilder } from "../e2e/support.js";

let builder = "";
let bindings: Binding[] = [];

beforeAll(async () => {
  builder = await referenceBuilder();
  bindings = await caBindings();
});

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
};

// Two builds at a time, as in the CI part.
test.concurrent.each(Object.entries(cases))("%s", (_name, c) => buildAndAsk(c, builder, bindings), 900_000);
