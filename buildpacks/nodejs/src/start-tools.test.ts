import { describe, expect, test } from "vitest";
import { binNames, scriptCommands, startMayNeedDev, startPlan } from "./start-tools.js";

describe("scriptCommands", () => {
  test.each([
    [{ start: "nest start" }, ["nest"]],
    [{ start: "NODE_ENV=production PORT=3000 exec node dist/main" }, ["node"]],
    [{ start: "npm run migrate && node dist/main", migrate: "prisma migrate deploy" }, ["prisma", "node"]],
    [{ start: "yarn serve", serve: "serve -s build" }, ["serve"]],
    [{ start: "pnpm run a", a: "pnpm run a" }, []],
    [{ start: "npx tsx server.ts | pino-pretty" }, ["tsx", "pino-pretty"]],
    [{ start: 'node $ENTRY; "$HOME/x"' }, ["node"]],
    [{ start: "./bin/www" }, ["./bin/www"]],
  ])("%j", (scripts, want) => {
    expect(scriptCommands(scripts, "start")).toEqual(want);
  });
});

describe("startPlan", () => {
  const nest = {
    scripts: { start: "nest start", "start:prod": "node dist/main", build: "nest build" },
    dependencies: { "@nestjs/core": "^10.0.0" },
    devDependencies: { "@nestjs/cli": "^10.0.0", typescript: "^5" },
  };
  const bins = new Map([
    ["@nestjs/cli", ["nest"]],
    ["typescript", ["tsc", "tsserver"]],
    ["@nestjs/core", []],
  ]);
  test("a NestJS starter starts with start:prod, and says why", () => {
    expect(startPlan(nest, bins)).toEqual({
      kind: "script",
      script: "start:prod",
      reason: "scripts.start runs nest, from @nestjs/cli, a devDependency the prune removes",
    });
  });
  test("without a production script, dev dependencies are kept", () => {
    const plan = startPlan({ ...nest, scripts: { start: "nest start" } }, bins);
    expect(plan.kind).toBe("keep-dev");
    expect(plan.kind === "keep-dev" && plan.reason).toMatch(/^scripts\.start runs nest, which only @nestjs\/cli/);
  });
  test("a production script that itself needs a dev tool is not taken", () => {
    const plan = startPlan({ ...nest, scripts: { start: "nest start", "start:prod": "tsc && node dist/main" } }, bins);
    expect(plan.kind).toBe("keep-dev");
  });
  test("a bin a dependency provides too, or none provides, changes nothing", () => {
    expect(startPlan({ ...nest, dependencies: { "@nestjs/cli": "^10" } }, bins)).toEqual({ kind: "start" });
    expect(startPlan({ ...nest, scripts: { start: "node dist/main" } }, bins)).toEqual({ kind: "start" });
  });
});

test("startMayNeedDev: only a start script that runs something other than node, with dev dependencies", () => {
  expect(startMayNeedDev({ scripts: { start: "tsx server.ts" }, devDependencies: { tsx: "4" } })).toBe(true);
  expect(startMayNeedDev({ scripts: { start: "node server.js" }, devDependencies: { tsx: "4" } })).toBe(false);
  expect(startMayNeedDev({ scripts: { start: "tsx server.ts" }, dependencies: { tsx: "4" } })).toBe(false);
  expect(startMayNeedDev({ devDependencies: { tsx: "4" } })).toBe(false);
});

test("binNames: a string bin is named after the package, without its scope", () => {
  expect(binNames({ name: "@scope/tool", bin: "cli.js" })).toEqual(["tool"]);
  expect(binNames({ name: "@nestjs/cli", bin: { nest: "bin/nest.js" } })).toEqual(["nest"]);
  expect(binNames({ name: "express" })).toEqual([]);
});
