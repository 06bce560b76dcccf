/**
 * Classes of outside Node.js apps that built but did not start, or did not build (issue 36),
 * each as a small app shaped like the one that tripped, built with `buildApp` (what `cnbkit
 * build` runs), run under runc and asked over HTTP:
 * - a start script that runs a dev dependency's bin (a NestJS starter's "nest start"), with
 *   and without a start:prod beside it;
 * - yarn 2 Plug'n'Play with zero-installs (.pnp.js and .yarn/cache committed, no nodeLinker);
 * - a Vite SSR build whose bundled dependency imports an optional native package (Astro 4's
 *   `import("sharp")`), which Rollup resolves from the dependency's real path in the layer.
 * pnpm 8's prune (lockfile 6.1, whose early releases refuse `pnpm prune --ignore-scripts`) and
 * the Vite SSR app with everything in dependencies are in the long suite
 * (test/long/node-corpus.test.ts): CI's pnpm cases prune, and CI builds the Vite app once.
 */
import { execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type AppCase, testAppCases } from "./app-case.js";
import { fixtureJson, server, viteSsrNative } from "./node-app-shapes.js";

const cases: Record<string, AppCase> = {
  // dev-start-tool (package-lock.json by npm 11.19.1; tsx and @types/node dev, 31 packages)
  // shaped as a NestJS starter: start runs the dev tool, start:prod the compiled output.
  "start runs a dev tool, start:prod beside it (NestJS starter)": {
    fixture: "dev-start-tool",
    files: {
      "package.json": JSON.stringify({
        ...fixtureJson("dev-start-tool"),
        type: "commonjs",
        scripts: { start: "tsx server.ts", "start:prod": "node dist/main.js" },
      }),
      "dist/main.js": server("nest-like", "'dist/main.js run by node ' + process.version + ', tsx pruned'"),
    },
    output: [
      /npm prune --omit=dev/,
      /npm run start:prod \(from package\.json scripts\.start:prod, since scripts\.start runs tsx, from tsx, a devDependency the prune removes\)/,
    ],
    answer: /^200 nest-like: dist\/main\.js run by node v24\.\d+\.\d+, tsx pruned\n$/,
  },
  // The same app with no start:prod, built for production: tsx (and what it needs) stays in
  // the image through the prune; @types/node goes.
  "start runs a dev tool, no production script": {
    fixture: "dev-start-tool",
    output: [
      /Keeping tsx: scripts\.start runs tsx, which only tsx \(a devDependency\) provides: kept through the prune/,
    ],
    answer: /^200 dev-start-tool: server\.ts run by tsx 4\.23\.15\n$/,
  },
  // yarn2-pnp (koa 2, yarn.lock by yarn 2.4.2) as a zero-install app: no .yarnrc.yml (PnP is
  // yarn's default), .pnp.js and .yarn/cache written by the real yarn 2.4.2 as the user
  // committed them, and .yarn/install-state.gz left out as yarn's .gitignore leaves it out.
  "yarn 2 Plug'n'Play with zero-installs": {
    fixture: "yarn2-pnp",
    async prepare(dir) {
      await rm(join(dir, ".yarnrc.yml"), { force: true });
      const env: NodeJS.ProcessEnv = { ...process.env, YARN_ENABLE_TELEMETRY: "0", YARN_ENABLE_GLOBAL_CACHE: "false" };
      delete env.YARN_NODE_LINKER;
      execFileSync("npx", ["-y", "-p", "@yarnpkg/cli-dist@2.4.2", "yarn", "install"], { cwd: dir, env, stdio: "pipe" });
      await rm(join(dir, ".yarn", "install-state.gz"), { force: true });
    },
    output: [/Using yarn 2\.4\.2/, /node_modules stays in the app directory: Yarn Plug'n'Play/],
    answer: /^200 yarn2-pnp: koa 2\.16\.4, http-errors 1\.8\.1\n$/,
  },
  // vite-ssr-native with vite a devDependency: the build runs on build_modules, then the prune.
  "Vite SSR build: a bundled dependency imports an optional native package (Astro's sharp), vite a devDependency":
    viteSsrNative("devDependencies", [/npm ci/, /vite build --ssr/, /npm prune --omit=dev/]),
};

testAppCases(cases);
