/**
 * Classes of outside Node.js apps that built but did not start, or did not build (issue 36),
 * each as a small app shaped like the one that tripped, built with `buildApp` (what `cnbkit
 * build` runs), run under runc and asked over HTTP:
 * - a start script that runs a dev dependency's bin (a NestJS starter's "nest start"), with
 *   and without a start:prod beside it;
 * - pnpm 8 (lockfile 6.x), whose early releases refuse `pnpm prune --ignore-scripts`;
 * - yarn 2 Plug'n'Play with zero-installs (.pnp.js and .yarn/cache committed, no nodeLinker);
 * - a Vite SSR build whose bundled dependency imports an optional native package (Astro 4's
 *   `import("sharp")`), which Rollup resolves from the dependency's real path in the layer.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, test } from "vitest";
import type { Binding } from "../../builder-packager/src/platform/index.js";
import { type AppCase, buildAndAsk } from "./app-case.js";
import { caBindings, FIXTURES, referenceBuilder, ROOT } from "./support.js";

let builder = "";
let bindings: Binding[] = [];

beforeAll(async () => {
  builder = await referenceBuilder();
  bindings = await caBindings();
});

const fixtureJson = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name, "package.json"), "utf8"));

/** A plain http server answering `<name>: <what>`, `what` a JS expression (CommonJS, as compiled output is). */
const server = (name: string, what: string) =>
  [
    "const http = require('node:http');",
    "const port = Number(process.env.PORT ?? 8080);",
    `http.createServer((_q, res) => res.end('${name}: ' + ${what} + '\\n')).listen(port, process.env.HOST ?? '0.0.0.0');`,
    "",
  ].join("\n");

/**
 * vite-ssr-native: what an Astro 4 SSR app is to Rollup, with nothing else of Astro. The bundled
 * dependency (img-service, ssr.noExternal as Astro's own dist is) imports sharp, an optional
 * dependency whose native code comes in platform packages (@img/sharp-linux-x64), as Rollup's
 * own does (@rollup/rollup-linux-x64-gnu); Rollup resolves it from img-service's real path, in
 * a layer. `vite` names the field vite goes in. The lock is written by the real npm.
 */
const viteSsrNative = (vite: "dependencies" | "devDependencies", output: RegExp[]): AppCase => {
  const deps = { "img-service": "file:vendor/img-service-1.0.0.tgz" };
  return {
    fixture: "vite-ssr-native",
    files: {
      "package.json": JSON.stringify({
        name: "vite-ssr-native",
        version: "1.0.0",
        private: true,
        type: "module",
        scripts: {
          build: "vite build --ssr src/entry-server.js --outDir dist/server",
          start: "node dist/server/entry-server.js",
        },
        dependencies: vite === "dependencies" ? { ...deps, vite: "6.4.6" } : deps,
        optionalDependencies: { sharp: "0.35.5" },
        ...(vite === "devDependencies" ? { devDependencies: { vite: "6.4.6" } } : {}),
      }),
      "vite.config.js": 'export default { ssr: { noExternal: ["img-service"] } };\n',
      "src/entry-server.js": [
        "import http from 'node:http';",
        "import { describe } from 'img-service';",
        "const port = Number(process.env.PORT ?? 8080);",
        "http.createServer(async (_q, res) => res.end('vite-ssr-native: ' + (await describe()) + '\\n')).listen(port, process.env.HOST ?? '0.0.0.0');",
        "",
      ].join("\n"),
      "img-service/package.json": JSON.stringify({
        name: "img-service",
        version: "1.0.0",
        type: "module",
        exports: "./index.js",
        peerDependencies: { sharp: "*" },
      }),
      "img-service/index.js": [
        "export async function describe() {",
        "  const { default: sharp } = await import('sharp');",
        "  const png = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#f00' } }).png().toBuffer();",
        "  const meta = await sharp(png).metadata();",
        "  return 'sharp ' + sharp.versions.sharp + ' made a ' + meta.width + 'x' + meta.height + ' ' + meta.format;",
        "}",
        "",
      ].join("\n"),
    },
    async prepare(dir) {
      await mkdir(join(dir, "vendor"));
      execFileSync("npm", ["pack", "--pack-destination", "../vendor"], {
        cwd: join(dir, "img-service"),
        stdio: "pipe",
      });
      await rm(join(dir, "img-service"), { recursive: true });
      execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], {
        cwd: dir,
        stdio: "pipe",
      });
    },
    output,
    answer: /^200 vite-ssr-native: sharp 0\.35\.5 made a 3x2 png\n$/,
  };
};

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
  // The same app with no start:prod, built for production: tsx stays in the image.
  "start runs a dev tool, no production script": {
    fixture: "dev-start-tool",
    output: [/Keeping dev dependencies: scripts\.start runs tsx, which only tsx \(a devDependency\) provides/],
    answer: /^200 dev-start-tool: server\.ts run by tsx 4\.23\.15\n$/,
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
  // As Astro starters have it (astro in dependencies, no devDependencies): nothing to prune, so
  // the build runs on launch_modules, the layer named in Astro 4's "Rollup failed to resolve".
  "Vite SSR build: a bundled dependency imports an optional native package (Astro's sharp), all in dependencies":
    viteSsrNative("dependencies", [/npm ci/, /vite build --ssr/]),
};

// Two builds at a time: each waits on npm, runc and the disk more than on a CPU (see vitest.config.ts).
test.concurrent.each(Object.entries(cases))("%s", (_name, c) => buildAndAsk(c, builder, bindings), 900_000);
