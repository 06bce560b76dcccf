import { describe, expect, test } from "vitest";
import { selectBuildScripts } from "./build-scripts.js";

const pkg = { scripts: { prebuild: "rm -rf dist", build: "tsc", postbuild: "echo ok", lint: "eslint ." } };

describe("selectBuildScripts", () => {
  test("npm runs build and lets npm run the hooks", () => {
    const p = selectBuildScripts(pkg, { name: "npm", berry: false }, {});
    expect(p.source).toBe("package.json scripts.build");
    expect(p.scripts.map((s) => s.command)).toEqual([["npm", "run", "build"]]);
  });
  test("pnpm and berry get the hooks listed explicitly", () => {
    expect(selectBuildScripts(pkg, { name: "pnpm", berry: false }, {}).scripts.map((s) => s.name)).toEqual([
      "prebuild",
      "build",
      "postbuild",
    ]);
    const berry = selectBuildScripts({ scripts: { build: "x" } }, { name: "yarn", berry: true }, {});
    expect(berry.scripts.map((s) => s.command)).toEqual([["yarn", "run", "build"]]);
  });
  test("BP_NODE_RUN_SCRIPTS replaces build", () => {
    const p = selectBuildScripts(pkg, { name: "npm", berry: false }, { BP_NODE_RUN_SCRIPTS: "lint, build" });
    expect(p.source).toBe("BP_NODE_RUN_SCRIPTS");
    expect(p.scripts.map((s) => s.name)).toEqual(["lint", "build"]);
  });
  test("an unknown script in BP_NODE_RUN_SCRIPTS fails naming it", () => {
    expect(() => selectBuildScripts(pkg, { name: "npm", berry: false }, { BP_NODE_RUN_SCRIPTS: "biuld" })).toThrow(
      /BP_NODE_RUN_SCRIPTS: package.json has no script "biuld"/,
    );
  });
  test("no build script → nothing to run", () => {
    expect(selectBuildScripts({}, { name: "npm", berry: false }, {})).toEqual({ scripts: [], source: "none" });
  });
});
