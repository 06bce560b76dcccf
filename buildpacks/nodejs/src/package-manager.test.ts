import { describe, expect, test } from "vitest";
import { choosePackageManager, pruneCommand, toolPackage } from "./package-manager.js";

const files = (...names: string[]) => new Set(names);

describe("choosePackageManager", () => {
  test("packageManager with a corepack hash picks the tool and exact version", () => {
    const c = choosePackageManager({
      pkg: { packageManager: "pnpm@9.1.0+sha512.0123456789abcdef" },
      files: files("pnpm-lock.yaml"),
    });
    expect(c).toMatchObject({ name: "pnpm", version: "9.1.0", lockfile: "pnpm-lock.yaml" });
    expect(c.install).toEqual(["pnpm", "install", "--frozen-lockfile"]);
    expect(c.source).toBe('package.json packageManager "pnpm@9.1.0"');
  });
  test("packageManager yarn@4 is berry even before a lockfile exists", () => {
    const c = choosePackageManager({ pkg: { packageManager: "yarn@4.5.0" }, files: files() });
    expect(c.berry).toBe(true);
    expect(c.install).toEqual(["yarn", "install"]);
    expect(c.warning).toMatch(/No lockfile/);
  });
  test("a malformed packageManager is a one-line error", () => {
    expect(() => choosePackageManager({ pkg: { packageManager: "bun@1" }, files: files() })).toThrow(
      /package.json: packageManager "bun@1"/,
    );
  });
  test("engines.yarn chooses yarn over a package-lock", () => {
    const c = choosePackageManager({ pkg: { engines: { yarn: "1.x" } }, files: files("yarn.lock") });
    expect(c).toMatchObject({ name: "yarn", version: "1.x", berry: false });
    expect(c.install).toEqual(["yarn", "install", "--frozen-lockfile"]);
  });
  test("engines.npm alone does not override a pnpm lockfile", () => {
    const c = choosePackageManager({ pkg: { engines: { npm: ">=10" } }, files: files("pnpm-lock.yaml") });
    expect(c.name).toBe("pnpm");
  });
  test("engines.npm that admits npm 12 stays below it without allowScripts, and says why", () => {
    const lock = files("package-lock.json");
    const c = choosePackageManager({ pkg: { engines: { npm: ">=10" } }, files: lock });
    expect(c).toMatchObject({ name: "npm", version: ">=10.0.0 <12.0.0-0", source: 'package.json engines.npm ">=10"' });
    expect(toolPackage(c)).toBe("npm@>=10.0.0 <12.0.0-0");
    expect(c.note).toBe(
      'npm ">=10.0.0 <12.0.0-0": engines.npm ">=10" admits npm 12, which skips dependency install scripts that "allowScripts" does not approve, and package.json has no "allowScripts" (the lockfile cannot say which npm wrote it)',
    );
    const approved = choosePackageManager({ pkg: { engines: { npm: ">=10" }, allowScripts: {} }, files: lock });
    expect(approved).toMatchObject({ version: ">=10" });
    expect(approved.note).toBeUndefined();
    expect(choosePackageManager({ pkg: { engines: { npm: "^12.1.0" } }, files: lock }).version).toBe("^12.1.0");
  });
  test("package-lock.json and npm-shrinkwrap.json → npm ci", () => {
    expect(choosePackageManager({ pkg: {}, files: files("package-lock.json") }).install).toEqual(["npm", "ci"]);
    const s = choosePackageManager({ pkg: {}, files: files("npm-shrinkwrap.json") });
    expect(s.install).toEqual(["npm", "ci"]);
    expect(s.lockfile).toBe("npm-shrinkwrap.json");
    expect(s.installProd).toEqual(["npm", "ci", "--omit=dev"]);
  });
  test("yarn.lock v1 → classic frozen-lockfile; berry lock → --immutable", () => {
    const v1 = choosePackageManager({ pkg: {}, files: files("yarn.lock"), yarnLock: "# yarn lockfile v1\n" });
    expect(v1.berry).toBe(false);
    expect(v1.install).toEqual(["yarn", "install", "--frozen-lockfile"]);
    const berry = choosePackageManager({
      pkg: {},
      files: files("yarn.lock"),
      yarnLock: "__metadata:\n  version: 8\n  cacheKey: 10c0\n",
    });
    expect(berry.berry).toBe(true);
    expect(berry.install).toEqual(["yarn", "install", "--immutable"]);
  });
  test("no lockfile → npm install with a warning", () => {
    const c = choosePackageManager({ pkg: {}, files: files() });
    expect(c.install).toEqual(["npm", "install"]);
    expect(c.warning).toMatch(/No lockfile found/);
  });
  test("vendored node_modules without a lockfile is rebuilt", () => {
    const c = choosePackageManager({ pkg: {}, files: files("node_modules") });
    expect(c.vendored).toBe(true);
    expect(c.install).toEqual(["npm", "rebuild"]);
  });
  test("two lockfiles: the first in order wins and the other is named", () => {
    const c = choosePackageManager({ pkg: {}, files: files("package-lock.json", "yarn.lock"), yarnLock: "" });
    expect(c.name).toBe("yarn");
    expect(c.warning).toMatch(/package-lock.json besides yarn.lock/);
  });
});

describe("toolPackage", () => {
  test("maps each tool to the npm package that carries it", () => {
    expect(toolPackage({ name: "npm", berry: false })).toBeUndefined();
    expect(toolPackage({ name: "npm", berry: false, version: ">=10" })).toBe("npm@>=10");
    expect(toolPackage({ name: "yarn", berry: false })).toBe("yarn@1");
    expect(toolPackage({ name: "yarn", berry: true, version: "4.5.0" })).toBe("@yarnpkg/cli-dist@4.5.0");
    expect(toolPackage({ name: "pnpm", berry: false }, "6.0")).toBe("pnpm@8");
    expect(toolPackage({ name: "pnpm", berry: false }, "9.0")).toBe("pnpm@9");
    expect(toolPackage({ name: "pnpm", berry: false, version: "9.1.0" })).toBe("pnpm@9.1.0");
  });
});

describe("pruneCommand", () => {
  test.each([
    ["pnpm", "9.15.9", ["pnpm", "prune", "--prod", "--ignore-scripts"]],
    ["pnpm", "10.34.9", ["pnpm", "prune", "--prod", "--ignore-scripts"]],
    ["pnpm", "8.15.6", ["pnpm", "prune", "--prod", "--ignore-scripts"]],
    ["pnpm", "8.15.5", ["pnpm", "prune", "--prod", "--config.ignore-scripts=true"]],
    ["pnpm", "8.6.0", ["pnpm", "prune", "--prod", "--config.ignore-scripts=true"]],
    ["pnpm", "7.33.7", ["pnpm", "prune", "--prod", "--config.ignore-scripts=true"]],
    ["npm", "11.6.2", ["npm", "prune", "--omit=dev"]],
  ] as const)("%s %s", (name, version, want) => {
    const choice = choosePackageManager({
      pkg: name === "npm" ? {} : { packageManager: `${name}@${version}` },
      files: new Set(),
    });
    expect(pruneCommand(choice, version)).toEqual(want);
  });
});
