/**
 * A corpus of Node.js apps as users write them, each built with `buildApp` (what `cnbkit build`
 * runs), then run under runc and asked over HTTP: Express with npm, yarn 1 and pnpm; yarn 4 with
 * node_modules and with Plug'n'Play; pnpm with PnP; engines.node 22.x; a TypeScript build that
 * emits the server.js the start falls back to; Next.js 16 with pnpm; and a bun app the buildpack
 * refuses. yarn 2 and 3, Next.js with npm, node-gyp under the default npm, engines.node 26.x and
 * a dev-dependency start under NODE_ENV=development are in the long suite
 * (test/long/node-corpus.test.ts).
 * Every lockfile in test/e2e/fixtures was written by the tool named in its case, with real
 * dependency trees (express alone brings some 70 packages). Answers pin the versions the
 * lockfiles pin, so a wrong or half install shows up here.
 */
import { type AppCase, fixtureAnswer, testAppCases } from "./app-case.js";

const EXPRESS_4 = "express 4\\.22\\.3, body-parser 1\\.20\\.9";
const EXPRESS_5 = "express 5\\.3\\.0, body-parser 2\\.4\\.0";
const answer = fixtureAnswer;

const cases: Record<string, AppCase> = {
  // package-lock.json by npm 11.19.1; 79 packages (8 of them dev: cross-env).
  "express 4 with npm": {
    fixture: "express-npm",
    output: [/npm ci/, /web: /],
    answer: answer("express-npm", EXPRESS_4),
  },
  // yarn.lock by yarn 1.22.22, no packageManager; 79 packages.
  "express 4 with yarn 1": {
    fixture: "express-yarn1",
    output: [/yarn install --frozen-lockfile/, /web: yarn start \(default\)/],
    answer: answer("express-yarn1", EXPRESS_4),
  },
  // pnpm-lock.yaml (v9.0) by pnpm 9.15.9; 76 packages.
  "express 5 with pnpm 9": {
    fixture: "express-pnpm",
    output: [/Using pnpm 9\.15\.9/, /pnpm install --frozen-lockfile/, /web: /],
    answer: answer("express-pnpm", EXPRESS_5),
  },
  // yarn.lock (__metadata 10) by yarn 4.18.1; 76 packages.
  "yarn 4 with node_modules": {
    fixture: "yarn4-node-modules",
    output: [/Using yarn 4\.18\.1/, /yarn install --immutable/, /web: /],
    answer: answer("yarn4-node-modules", EXPRESS_5),
  },
  // yarn.lock by yarn 4.18.1, .pnp.cjs; 76 packages.
  "yarn 4 with Plug'n'Play": {
    fixture: "yarn4-pnp",
    output: [
      /Installing @yarnpkg\/cli-dist@4\.18\.1/,
      /Using yarn 4\.18\.1/,
      /yarn install --immutable/,
      /web: yarn start \(default\)/,
    ],
    answer: answer("yarn4-pnp", EXPRESS_5),
  },
  // pnpm-lock.yaml by pnpm 10.34.9 with node-linker=pnp in .npmrc; 56 packages. avvio is
  // fastify's dependency and is resolved from fastify at run time.
  "fastify with pnpm 10 and node-linker=pnp": {
    fixture: "pnpm-pnp",
    output: [/Using pnpm 10\.34\.9/, /pnpm install --frozen-lockfile/, /web: /],
    answer: answer("pnpm-pnp", "fastify 5\\.12\\.8, avvio 9\\.3\\.1"),
  },
  // ESM, package-lock.json by npm 11.19.1; debug and ms.
  "engines.node 22.x": {
    fixture: "engines-22",
    output: [/Selected Node\.js 22\.23\.3/, /npm ci/, /web: /],
    answer: /^200 engines-22 on v22\.23\.3, debug says 2 minutes\n$/,
  },
  // package-lock.json by npm 11.19.1: typescript 7 (its compiler is a per-platform optional
  // package) and @types/node, all dev. No start script and no main: only the build makes the
  // server.js that the start command falls back to.
  "TypeScript build emitting server.js, no start script": {
    fixture: "ts-build-server",
    output: [/\btsc\b/, /web: node server\.js/],
    answer: /^200 ts-build-server: server\.js built by tsc, running on v24\.\d+\.\d+\n$/,
  },
  // pnpm-lock.yaml by pnpm 10.34.9 for the same app; 50 packages.
  "Next.js 16 with pnpm 10 (Turbopack build)": {
    fixture: "next-pnpm",
    output: [/Using pnpm 10\.34\.9/, /pnpm install --frozen-lockfile/, /next build/, /web: /],
    answer: /^200 <!DOCTYPE html>[\s\S]*next-pnpm on Next\.js/,
  },
  // bun.lock (text, lockfileVersion 2) by bun 1.4.5, no other lockfile: refused in one line.
  "bun app is refused": {
    fixture: "bun-app",
    output: [],
    expectFailure: /bun\.lock/,
  },
};

testAppCases(cases);
