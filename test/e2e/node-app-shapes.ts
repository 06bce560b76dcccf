/**
 * Small apps shaped like outside Node.js apps that once tripped the buildpack, shared by the CI
 * table (test/e2e/node-outside-apps.test.ts) and the long suite's (test/long/), so a case moves
 * between them without copying its files.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { AppCase } from "./app-case.js";
import { FIXTURES } from "./support.js";

/** A corpus fixture's own package.json, to spread under a case's changes. */
export const fixtureJson = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name, "package.json"), "utf8"));

/** A plain http server answering `<name>: <what>`, `what` a JS expression (CommonJS, as compiled output is). */
export const server = (name: string, what: string) =>
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
export const viteSsrNative = (vite: "dependencies" | "devDependencies", output: RegExp[]): AppCase => {
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

/** The native-addon fixture's package.json with `engines.npm` and, when given, `allowScripts`. */
export function nativeAddonPackageJson(npm: string, allowScripts?: Record<string, boolean>): Record<string, string> {
  const pkg = {
    name: "native-addon",
    version: "1.0.0",
    private: true,
    engines: { npm },
    scripts: { start: "node server.js" },
    dependencies: { debug: "^4.4.3", "hello-native": "file:./native" },
    ...(allowScripts ? { allowScripts } : {}),
  };
  return { "package.json": `${JSON.stringify(pkg, null, 2)}\n` };
}
