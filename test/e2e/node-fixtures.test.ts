/**
 * Node.js apps of every kind the reference builder promises, each built with `buildApp`
 * (what `cnbkit build` runs) and then run under runc and asked over HTTP: no package
 * manager, pnpm with no packageManager field, TypeScript with a build script, and npm, yarn
 * and pnpm workspaces. Lockfiles in test/e2e/fixtures were written by the real tools (yarn
 * 1.22.22, pnpm 9.15.9, npm 11). Yarn 1 to 4 apps, each with node_modules and Plug'n'Play,
 * are node-corpus.test.ts's.
 */
import { beforeAll, test } from "vitest";
import type { Binding } from "../../builder-packager/src/platform/build.js";
import { type AppCase, buildAndAsk } from "./app-case.js";
import { caBindings, referenceBuilder } from "./support.js";

let builder = "";
let bindings: Binding[] = [];

beforeAll(async () => {
  builder = await referenceBuilder();
  bindings = await caBindings();
});

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
  "TypeScript with a build script": {
    fixture: "typescript",
    output: [/tsc -p \./, /web: npm start \(default\)/],
    answer: /^200 typescript compiled by tsc, running on v24\.21\.0\n$/,
  },
  "npm workspace, one member built (BP_NODE_PROJECT_PATH)": {
    fixture: "workspace",
    env: { BP_NODE_PROJECT_PATH: "packages/web" },
    output: [/npm ci/],
    answer: /^200 hello web from a workspace package, 3 seconds\n$/,
  },
  "yarn classic workspace, one member built (BP_NODE_PROJECT_PATH)": {
    fixture: "yarn-workspace",
    env: { BP_NODE_PROJECT_PATH: "packages/web" },
    output: [/yarn install --frozen-lockfile/, /web: yarn start \(default\)/],
    answer: /^200 hello web from a yarn workspace, 3 seconds\n$/,
  },
  "pnpm workspace, one member built (BP_NODE_PROJECT_PATH)": {
    fixture: "pnpm-workspace",
    env: { BP_NODE_PROJECT_PATH: "packages/web" },
    output: [/pnpm install --frozen-lockfile/, /web: pnpm start \(default\)/],
    answer: /^200 hello web from a pnpm workspace, 3 seconds\n$/,
  },
};

// Two builds at a time: each waits on npm, runc and the disk more than on a CPU (see vitest.config.ts).
test.concurrent.each(Object.entries(cases))("%s", (_name, c) => buildAndAsk(c, builder, bindings), 900_000);
