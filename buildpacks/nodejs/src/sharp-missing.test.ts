import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { lockedSharpVersion, sharpMissingError, sharpNotFound } from "./sharp-missing.js";

// Real output, captured once: `astro build` of an Astro 4.5.0 SSR app with @astrojs/node 8.2.5
// on Node.js 24.21.0, after `npm install` (npm 11.19.1) dropped sharp 0.32.6, whose install
// script could not reach github.com; and npm's lockfile for sharp 0.32.6 as an optional dependency.
const captured = (name: string) => readFileSync(new URL(`../testdata/build-failures/${name}`, import.meta.url), "utf8");

test("Astro's build failing on a missing sharp is recognised; other failures are not", () => {
  expect(sharpNotFound(captured("astro4.5-sharp-0.32-missing.out"))).toBe(true);
  // Node's own words, for a script that imports sharp itself.
  expect(sharpNotFound("Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'sharp' imported from /workspace/x.js")).toBe(
    true,
  );
  expect(sharpNotFound('[vite]: Rollup failed to resolve import "sharp-cli" from "x"')).toBe(false);
  expect(sharpNotFound("error TS2307: Cannot find module './sharp-utils'")).toBe(false);
});

test("the locked sharp version, from each lockfile format", () => {
  expect(lockedSharpVersion("package-lock.json", captured("sharp-0.32.6-optional.package-lock.json"))).toBe("0.32.6");
  expect(lockedSharpVersion("package-lock.json", '{"packages":{"":{}}}')).toBeUndefined();
  expect(lockedSharpVersion("package-lock.json", "{not json")).toBeUndefined();
  expect(lockedSharpVersion("yarn.lock", 'sharp@^0.32.5:\n  version "0.32.6"\n')).toBe("0.32.6");
  expect(lockedSharpVersion("yarn.lock", '"sharp@npm:^0.32.5":\n  version: 0.32.6\n')).toBe("0.32.6");
  expect(lockedSharpVersion("pnpm-lock.yaml", "packages:\n\n  sharp@0.32.6:\n    resolution: {}\n")).toBe("0.32.6");
  expect(lockedSharpVersion("pnpm-lock.yaml", "packages:\n\n  /sharp@0.33.5:\n    resolution: {}\n")).toBe("0.33.5");
  expect(lockedSharpVersion("yarn.lock", '"sharp-cli@npm:1.0.0":\n  version: 1.0.0\n')).toBeUndefined();
});

test("sharp before 0.33 is blamed on its libvips download from GitHub, with three ways out", () => {
  const { line, hint } = sharpMissingError("0.32.6");
  expect(line).toBe(
    "sharp 0.32.6 is in the lockfile but not installed: its install script, which downloads libvips from github.com, failed (npm drops an optional dependency whose install script fails, and says so only at --loglevel verbose)",
  );
  expect(hint).toMatch(/sharp >= 0\.33 .*npm_config_sharp_libvips_binary_host.*passthroughImageService/);
  // 0.33 installs from the registry: no GitHub to blame.
  expect(sharpMissingError("0.33.5").line).toBe("sharp 0.33.5 is not installed, and the build imports it");
  expect(sharpMissingError(undefined).line).toBe("sharp is not installed, and the build imports it");
});
