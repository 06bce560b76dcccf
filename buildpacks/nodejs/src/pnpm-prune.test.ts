import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import bp from "./index.js";
import { type NodeMirror, startNodeMirror } from "./testing/mirror.js";

// The prune of each pnpm major, run by the real pnpm (pinned by packageManager, installed from
// the npm registry). The lockfiles in testdata/pnpm-prune were written by `pnpm install
// --lockfile-only` of the pnpm named beside them: debug (with ms) to keep, is-odd (with
// is-number) to prune. The build script and the postinstall need is-odd, so a prune that ran
// the postinstall again (pnpm prune does, unless told not to) fails the build.
let mirror: NodeMirror;
beforeAll(async () => {
  mirror = await startNodeMirror(["24.11.1"]);
});
afterAll(async () => mirror?.close());

const lockfile = (v: string) =>
  readFileSync(new URL(`../testdata/pnpm-prune/pnpm-lock.v${v}.yaml`, import.meta.url), "utf8");

const app = (pnpm: string, lockfileVersion: string) => ({
  "package.json": JSON.stringify({
    name: "pnpm-prune",
    version: "1.0.0",
    private: true,
    packageManager: `pnpm@${pnpm}`,
    scripts: {
      build: `node -e "require('is-odd')"`,
      postinstall: `node -e "require('is-odd')"`,
      start: "node server.js",
    },
    dependencies: { debug: "4.4.3" },
    devDependencies: { "is-odd": "3.0.1" },
  }),
  "pnpm-lock.yaml": lockfile(lockfileVersion),
  "server.js": "require('debug');\n",
});

test.each([
  // 8.6.0 writes lockfile 6.1; its prune refuses --ignore-scripts, as 7 does.
  ["7.33.7", "5.4", "--config.ignore-scripts=true"],
  ["8.6.0", "6.1", "--config.ignore-scripts=true"],
  ["9.15.9", "9.0", "--ignore-scripts"],
  ["10.34.9", "9.0", "--ignore-scripts"],
])(
  "pnpm %s prunes dev dependencies without running the postinstall again (%s lockfile)",
  async (pnpm, lock, flag) => {
    const r = await runBuild(bp, { app: app(pnpm, lock), buildpackToml: mirror.buildpackToml, env: mirror.env });
    const out = r.stdout.join("\n");
    expect(out).toContain(`Using pnpm ${pnpm}`);
    expect(out).toContain(`Running pnpm prune --prod ${flag}`);
    const modules = join(r.layer("launch_modules").path, "node_modules");
    expect(existsSync(join(modules, "debug", "package.json"))).toBe(true);
    expect(existsSync(join(modules, "is-odd"))).toBe(false);
    // pnpm 7 names the store dirs is-odd@3.0.1, as 8+ do.
    expect(readdirSync(join(modules, ".pnpm")).filter((d) => /^(debug|ms|is-odd|is-number)@/.test(d))).toEqual([
      "debug@4.4.3",
      "ms@2.1.3",
    ]);
    // debug finds ms through pnpm's links in the launched tree.
    const ms = execFileSync(process.execPath, ["-e", "console.log(require('debug').humanize(120000))"], {
      cwd: r.app,
      encoding: "utf8",
    });
    expect(ms).toBe("2m\n");
  },
  600_000,
);
