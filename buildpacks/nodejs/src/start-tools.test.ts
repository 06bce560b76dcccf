import { describe, expect, test } from "vitest";
import { binNames, scriptCommands, startingScript, startLoads, startMayNeedDev, startPlan } from "./start-tools.js";

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
  test("without a production script, the devDependency the start runs is kept through the prune", () => {
    expect(startPlan({ ...nest, scripts: { start: "nest start" } }, bins)).toEqual({
      kind: "start",
      keep: {
        packages: ["@nestjs/cli"],
        reason: "scripts.start runs nest, which only @nestjs/cli (a devDependency) provides: kept through the prune",
      },
    });
  });
  test("with pnpm's node_modules, one package cannot be kept: every dev dependency is", () => {
    const plan = startPlan({ ...nest, scripts: { start: "nest start" } }, bins, { hoisted: false });
    expect(plan.kind).toBe("keep-dev");
    expect(plan.kind === "keep-dev" && plan.reason).toMatch(/^scripts\.start runs nest, which only @nestjs\/cli/);
  });
  test("a production script that itself needs a dev tool is not taken", () => {
    const plan = startPlan({ ...nest, scripts: { start: "nest start", "start:prod": "tsc && node dist/main" } }, bins);
    expect(plan).toMatchObject({ kind: "start", keep: { packages: ["@nestjs/cli"] } });
  });
  test("no start script: the start:prod script is the one checked", () => {
    const plan = startPlan({ ...nest, scripts: { "start:prod": "nest start" } }, bins);
    expect(plan).toMatchObject({
      kind: "start",
      keep: { packages: ["@nestjs/cli"], reason: expect.stringMatching(/^scripts\.start:prod runs nest/) },
    });
  });
  test("a bin a dependency provides too, or none provides, changes nothing", () => {
    expect(startPlan({ ...nest, dependencies: { "@nestjs/cli": "^10" } }, bins)).toEqual({ kind: "start" });
    expect(startPlan({ ...nest, scripts: { start: "node dist/main" } }, bins)).toEqual({ kind: "start" });
  });
});

describe("Next.js with next.config.ts: typescript stays", () => {
  const next = {
    scripts: { build: "next build", start: "next start" },
    dependencies: { next: "15.5.0", react: "19" },
    devDependencies: { typescript: "5.9.0", "@types/react": "19" },
  };
  const bins = new Map([
    ["next", ["next"]],
    ["typescript", ["tsc", "tsserver"]],
  ]);
  test.each([
    [
      "next.config.ts",
      ["next.config.ts"],
      {
        kind: "start",
        keep: {
          packages: ["typescript"],
          reason: "next start loads next.config.ts with typescript, a devDependency: kept through the prune",
        },
      },
    ],
    ["next.config.mts", ["next.config.mts"], { kind: "start", keep: { packages: ["typescript"] } }],
    ["next.config.js", ["next.config.js"], { kind: "start" }],
  ])("%s", (_name, files, want) => {
    expect(startPlan(next, bins, { exists: (f) => files.includes(f) })).toMatchObject(want);
  });
  test("typescript a dependency already, or no next: nothing to keep", () => {
    const exists = (f: string) => f === "next.config.ts";
    expect(startLoads({ ...next, dependencies: { ...next.dependencies, typescript: "5" } }, exists)).toBeUndefined();
    expect(startLoads({ ...next, dependencies: {} }, exists)).toBeUndefined();
  });
  test("with pnpm: every dev dependency is kept, saying why", () => {
    expect(startPlan(next, bins, { exists: (f) => f === "next.config.ts", hoisted: false })).toEqual({
      kind: "keep-dev",
      reason:
        "next start loads next.config.ts with typescript, a devDependency, which pnpm's node_modules cannot keep alone",
    });
  });
  test("startMayNeedDev sees it, so the install keeps dev dependencies until the prune", () => {
    expect(startMayNeedDev({ ...next, scripts: { start: "node server.js" } }, (f) => f === "next.config.ts")).toBe(
      true,
    );
  });
});

test.each([
  [{ start: "node a", "start:prod": "node b" }, "start"],
  [{ "start:prod": "node b", "start:production": "node c", serve: "x" }, "start:prod"],
  [{ "start:production": "node c", serve: "x" }, "start:production"],
  [{ serve: "node d" }, "serve"],
  [{ build: "x" }, undefined],
])("startingScript(%j) is %s", (scripts, want) => {
  expect(startingScript({ scripts })).toBe(want);
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
