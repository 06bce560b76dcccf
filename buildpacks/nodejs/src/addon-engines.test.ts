import { describe, expect, test } from "vitest";
import {
  type AddonEngines,
  chooseForAddons,
  describeAddonChoice,
  enginesAfterInstall,
  leavesLineOpen,
  npmLockAddons,
  pnpmLockAddons,
  yarnBuiltPackages,
} from "./addon-engines.js";
import type { NodeVersionSource } from "./node-version.js";
import { parseYamlFile } from "./yaml-file.js";

const INVENTORY = ["22.23.3", "24.21.0", "26.10.0"];
const SQLITE12: AddonEngines = {
  name: "better-sqlite3",
  version: "12.9.0",
  node: "20.x || 22.x || 23.x || 24.x || 25.x",
};
const BCRYPT: AddonEngines = { name: "bcrypt", version: "6.0.0", node: ">= 18" };
const OLD: AddonEngines = { name: "old-addon", version: "1.0.0", node: "<=22" };

describe("the line chosen for the lock's addons", () => {
  test.each<[string, string, AddonEngines[], string | undefined, ReturnType<typeof chooseForAddons>]>([
    [
      "better-sqlite3 12 under >=20: 24, not 26",
      ">=20",
      [SQLITE12],
      undefined,
      { version: "24.21.0", newest: "26.10.0", narrowedBy: [SQLITE12] },
    ],
    ["an addon that allows the newest narrows nothing", ">=20", [BCRYPT], undefined, undefined],
    [
      "only the addons that rule the newest out are named",
      ">=20",
      [SQLITE12, BCRYPT],
      undefined,
      { version: "24.21.0", newest: "26.10.0", narrowedBy: [SQLITE12] },
    ],
    [
      "every addon must allow the line",
      "*",
      [SQLITE12, OLD],
      undefined,
      { version: "22.23.3", newest: "26.10.0", narrowedBy: [SQLITE12, OLD] },
    ],
    [
      "no line fits the range and the addons: no version, the newest kept",
      ">=25",
      [SQLITE12],
      undefined,
      { version: undefined, newest: "26.10.0", narrowedBy: [SQLITE12] },
    ],
    ["no addons: nothing to narrow", ">=20", [], undefined, undefined],
    ["a range that matches nothing is left to the caller's error", ">=30", [SQLITE12], undefined, undefined],
    [
      "the default's choice (26) is preferred over the range's newest",
      "*",
      [SQLITE12],
      "26.10.0",
      { version: "24.21.0", newest: "26.10.0", narrowedBy: [SQLITE12] },
    ],
    ["a default the addons allow stays", "*", [OLD], "22.23.3", undefined],
  ])("%s", (_name, range, addons, preferred, expected) => {
    expect(chooseForAddons(INVENTORY, range, addons, preferred)).toEqual(expected);
  });

  test("the log line names the packages and both versions", () => {
    const choice = chooseForAddons(INVENTORY, ">=20", [SQLITE12]);
    expect(choice && describeAddonChoice(choice, 'engines.node ">=20"', 'engines.node ">=20" allows both')).toBe(
      'Node.js 24.21.0, not 26.10.0: the lock\'s better-sqlite3@12.9.0 declares engines.node "20.x || 22.x || 23.x || 24.x || 25.x" (engines.node ">=20" allows both)',
    );
    const none = chooseForAddons(INVENTORY, ">=25", [SQLITE12]);
    expect(none && describeAddonChoice(none, 'engines.node ">=25"', "")).toMatch(
      /^No Node\.js in the inventory satisfies engines\.node ">=25" and the lock's native addons \(better-sqlite3@12\.9\.0 declares .*\): using 26\.10\.0/,
    );
  });
});

describe("which requests leave the line open to the addons", () => {
  test.each<[NodeVersionSource, string, boolean]>([
    ["package.json engines.node", ">=20", true],
    ["package.json engines.node", "24.x", true],
    ["package.json engines.node", "24.21.0", false],
    ["default", "26.x", true],
    ["BP_NODE_VERSION", ">=20", false],
    [".nvmrc", "26", false],
    [".node-version", "*", false],
  ])("%s %s: %s", (source, range, open) => {
    expect(leavesLineOpen({ source, range })).toBe(open);
  });
});

describe("the addons a lock names", () => {
  test("package-lock v3: packages with an install script and engines.node, nested ones by their own name", () => {
    const lock = {
      lockfileVersion: 3,
      packages: {
        "": { name: "app", engines: { node: ">=20" } },
        "node_modules/better-sqlite3": { version: "12.9.0", hasInstallScript: true, engines: { node: SQLITE12.node } },
        "node_modules/express": { version: "5.1.0", engines: { node: ">= 18" } },
        "node_modules/a/node_modules/@scope/native": {
          version: "2.0.0",
          hasInstallScript: true,
          engines: { node: "<=22" },
        },
        "node_modules/no-engines": { version: "1.0.0", hasInstallScript: true },
        "node_modules/bad-range": { version: "1.0.0", hasInstallScript: true, engines: { node: "not a range" } },
      },
    };
    expect(npmLockAddons(JSON.stringify(lock))).toEqual([
      { name: "better-sqlite3", version: "12.9.0", node: SQLITE12.node },
      { name: "@scope/native", version: "2.0.0", node: "<=22" },
    ]);
    expect(npmLockAddons("{not json")).toEqual([]);
  });

  test("pnpm-lock: requiresBuild, or a name in pnpm.onlyBuiltDependencies (pnpm 9 writes no requiresBuild)", () => {
    const doc = parseYamlFile(
      [
        "lockfileVersion: '9.0'",
        "packages:",
        "  better-sqlite3@12.9.0:",
        "    resolution: {integrity: sha512-x}",
        "    engines: {node: 20.x || 22.x || 23.x || 24.x || 25.x}",
        "  /bcrypt@5.1.1:",
        "    resolution: {integrity: sha512-y}",
        "    engines: {node: '>= 10.0.0'}",
        "    requiresBuild: true",
        "  express@5.1.0:",
        "    resolution: {integrity: sha512-z}",
        "    engines: {node: '>= 18'}",
        "",
      ].join("\n"),
      "pnpm-lock.yaml",
    );
    expect(pnpmLockAddons(doc, ["better-sqlite3"])).toEqual([
      { name: "better-sqlite3", version: "12.9.0", node: SQLITE12.node },
      { name: "bcrypt", version: "5.1.1", node: ">= 10.0.0" },
    ]);
    expect(pnpmLockAddons(doc, []).map((a) => a.name)).toEqual(["bcrypt"]);
  });
});

describe("yarn berry: engines read after the install", () => {
  const open = { versions: INVENTORY, range: ">=20", asked: 'engines.node ">=20"' };

  test("an addon that rules out the installed line fails in one line naming the line the build would have chosen", () => {
    expect(enginesAfterInstall(open, "26.10.0", [SQLITE12], "yarn.lock")).toEqual({
      line: 'better-sqlite3@12.9.0 declares engines.node "20.x || 22.x || 23.x || 24.x || 25.x", which Node.js 26.10.0 is not: yarn.lock carries no engines to choose by; with them this build would have chosen Node.js 24.21.0',
      hint: 'Set engines.node to "24.x" in package.json (engines.node ">=20" allows it), or build with BP_NODE_VERSION=24',
    });
  });

  test.each<[string, string, AddonEngines[], typeof open]>([
    ["addons that allow the installed line", "26.10.0", [BCRYPT], open],
    ["no addons", "26.10.0", [], open],
    ["no line the range and the addons both allow", "26.10.0", [SQLITE12], { ...open, range: ">=26" }],
  ])("nothing to say: %s", (_name, runtime, addons, o) => {
    expect(enginesAfterInstall(o, runtime, addons, "yarn.lock")).toBeUndefined();
  });

  test("the packages Yarn built or failed to build, once each, scoped ones too", () => {
    const output = [
      "➤ YN0000: ┌ Link step",
      "➤ YN0007: │ better-sqlite3@npm:12.9.0 must be built because it never has been before or the last one failed",
      "➤ YN0007: │ @scope/native@npm:2.0.0 must be built because it never has been before or the last one failed",
      "➤ YN0009: │ better-sqlite3@npm:12.9.0 couldn't be built successfully (exit code 1, logs can be found here: /tmp/xfs-1/build.log)",
      "➤ YN0000: └ Completed",
    ].join("\n");
    expect(yarnBuiltPackages(output)).toEqual([
      { name: "better-sqlite3", version: "12.9.0" },
      { name: "@scope/native", version: "2.0.0" },
    ]);
  });
});
