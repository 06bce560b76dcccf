/**
 * Node.js apps of every kind the reference builder promises, each built with `buildApp`
 * (what `cnbkit build` runs) and then run under runc and asked over HTTP: no package
 * manager, yarn classic, yarn berry, pnpm, TypeScript with a build script, and npm, yarn and
 * pnpm workspaces. Lockfiles in test/e2e/fixtures were written by the real tools (yarn 1.22.22,
 * yarn 4.18.1, pnpm 9.15.9, npm 11).
 */
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Binding, buildApp } from "../../builder-packager/src/platform/build.js";
import { caBindings, fixtureApp, getFromImage, referenceBuilder } from "./support.js";

let builder = "";
let bindings: Binding[] = [];
const cleanup: string[] = [];

beforeAll(async () => {
  builder = await referenceBuilder();
  bindings = await caBindings();
});
afterAll(async () => {
  for (const d of cleanup) await rm(d, { recursive: true, force: true });
});

interface Case {
  fixture: string;
  env?: Record<string, string>;
  /** Lines the build output must have. */
  output: RegExp[];
  answer: RegExp;
}

const cases: Record<string, Case> = {
  "no package manager (server.js only)": {
    fixture: "server-only",
    output: [/web: node server\.js \(default\)/],
    answer: /^200 server-only on v24\.21\.0\n$/,
  },
  "yarn classic": {
    fixture: "yarn-classic",
    output: [/yarn install --frozen-lockfile/, /web: yarn start \(default\)/],
    answer: /^200 yarn-classic says 2 minutes\n$/,
  },
  "yarn berry (packageManager yarn@4.18.1)": {
    fixture: "yarn-berry",
    output: [/Installing @yarnpkg\/cli-dist@4\.18\.1/, /yarn install --immutable/, /web: yarn start \(default\)/],
    answer: /^200 yarn-berry says 2 minutes\n$/,
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

test.each(Object.entries(cases))(
  "%s: builds, runs and answers",
  async (_name, c) => {
    const app = await fixtureApp(c.fixture);
    cleanup.push(app, `${app}-out`);
    const lines: string[] = [];
    const image = `oci:${app}-out:latest`;
    const t0 = Date.now();
    await buildApp({
      appDir: app,
      builder,
      output: image,
      cacheDir: `${app}-out/../${c.fixture}-cache-${process.pid}`,
      bindings,
      env: c.env ?? {},
      onOutput: (l) => lines.push(l),
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n${lines.slice(-40).join("\n")}`);
    });
    console.log(`${c.fixture}: cold build ${Date.now() - t0} ms`);
    const text = lines.join("\n");
    for (const re of c.output) expect(text).toMatch(re);
    expect(await getFromImage(image)).toMatch(c.answer);
  },
  600_000,
);
