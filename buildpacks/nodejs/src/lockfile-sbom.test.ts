import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { lockfileComponents, npmPurl, pnpmKey } from "./lockfile-sbom.js";

// Real lockfiles written by npm 11 (v3), npm 6 (v1), yarn 1.22.22, yarn 4.5.0, pnpm 8 (v6) and
// pnpm 9 (v9) for testdata/lockfiles/package.json: debug@4.3.7 (→ ms), @types/ms@0.7.34, ms (dev).
const fixture = (name: string) => readFileSync(new URL(`../testdata/lockfiles/${name}`, import.meta.url), "utf8");
const expected = [
  { name: "@types/ms", version: "0.7.34", purl: "pkg:npm/%40types/ms@0.7.34" },
  { name: "debug", version: "4.3.7", purl: "pkg:npm/debug@4.3.7" },
  { name: "ms", version: "2.1.3", purl: "pkg:npm/ms@2.1.3" },
];
const strip = (cs: ReturnType<typeof lockfileComponents>) =>
  cs.map(({ name, version, purl }) => ({ name, version, purl }));

describe("lockfileComponents", () => {
  test.each([
    ["package-lock.json", "package-lock.v3.json"],
    ["package-lock.json", "package-lock.v1.json"],
    ["yarn.lock", "yarn.v1.lock"],
    ["yarn.lock", "yarn.berry.lock"],
    ["pnpm-lock.yaml", "pnpm-lock.v6.yaml"],
    ["pnpm-lock.yaml", "pnpm-lock.v9.yaml"],
  ])("%s (%s) lists every package once with a pkg:npm purl", (file, fixtureName) => {
    expect(strip(lockfileComponents(file, fixture(fixtureName)))).toEqual(expected);
  });

  test("npm v3 carries licenses; nothing claims a sha256", () => {
    const cs = lockfileComponents("package-lock.json", fixture("package-lock.v3.json"));
    expect(cs.map((c) => c.licenses)).toEqual([["MIT"], ["MIT"], ["MIT"]]);
    expect(cs.every((c) => c.sha256 === undefined)).toBe(true);
  });

  test("npm v2/v3 nested installs and links", () => {
    const lock = {
      lockfileVersion: 3,
      packages: {
        "": { name: "app" },
        "node_modules/a": { version: "1.0.0" },
        "node_modules/a/node_modules/@s/b": { version: "2.0.0", license: "ISC" },
        "node_modules/ws-pkg": { resolved: "packages/ws-pkg", link: true },
        "packages/ws-pkg": { version: "0.0.1" },
      },
    };
    expect(lockfileComponents("package-lock.json", JSON.stringify(lock))).toEqual([
      { name: "@s/b", version: "2.0.0", purl: "pkg:npm/%40s/b@2.0.0", type: "library", licenses: ["ISC"] },
      { name: "a", version: "1.0.0", purl: "pkg:npm/a@1.0.0", type: "library" },
    ]);
  });

  test("a broken package-lock.json names the file", () => {
    expect(() => lockfileComponents("package-lock.json", "{")).toThrow(/^package-lock.json: invalid JSON/);
  });

  test("purls and pnpm keys", () => {
    expect(npmPurl("@babel/core", "7.0.0-beta.1+build")).toBe("pkg:npm/%40babel/core@7.0.0-beta.1+build");
    expect(pnpmKey("/react-dom@18.2.0(react@18.2.0)")).toEqual({ name: "react-dom", version: "18.2.0" });
    expect(pnpmKey("@s/x@1.0.0")).toEqual({ name: "@s/x", version: "1.0.0" });
    expect(pnpmKey("/@s/x/1.0.0_react@18.2.0")).toEqual({ name: "@s/x", version: "1.0.0" });
  });
});
