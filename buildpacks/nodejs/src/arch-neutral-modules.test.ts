import { describe, expect, test } from "vitest";
import { modulesArchNeutrality } from "./arch-neutral-modules.js";

const lock = (packages: Record<string, Record<string, unknown>>, lockfileVersion = 3) =>
  JSON.stringify({ name: "app", lockfileVersion, packages: { "": { name: "app" }, ...packages } });

describe("modulesArchNeutrality", () => {
  test.each([
    ["pure-JS packages", lock({ "node_modules/ms": { version: "2.1.3" } }), {}, true],
    [
      "a native addon (install script)",
      lock({ "node_modules/bcrypt": { version: "5.1.1", hasInstallScript: true } }),
      {},
      "bcrypt has an install script",
    ],
    [
      "esbuild's per-CPU package",
      lock({ "node_modules/@esbuild/linux-x64": { version: "0.25.0", cpu: ["x64"], optional: true } }),
      {},
      '@esbuild/linux-x64 is for one CPU (["x64"])',
    ],
    [
      "the app's own postinstall",
      lock({}),
      { scripts: { postinstall: "node fetch.js" } },
      "package.json has a postinstall script",
    ],
    [
      "a v1 lockfile",
      JSON.stringify({ lockfileVersion: 1, dependencies: {} }),
      {},
      "package-lock.json is lockfileVersion 1",
    ],
  ])("%s", (_name, text, pkg, expected) => {
    const got = modulesArchNeutrality("npm", "package-lock.json", text, pkg);
    if (expected === true) expect(got).toBe(true);
    else expect((got as { not: string }).not).toContain(expected);
  });

  test("yarn, pnpm or no lockfile: built on each platform", () => {
    expect(modulesArchNeutrality("pnpm", "pnpm-lock.yaml", "lockfileVersion: 9", {})).toEqual({
      not: "node_modules may depend on the CPU: pnpm's pnpm-lock.yaml does not say which packages run install scripts",
    });
    expect(modulesArchNeutrality("npm", undefined, undefined, {})).toEqual({
      not: "node_modules may depend on the CPU: npm without a lockfile does not say which packages run install scripts",
    });
  });
});
