import { describe, expect, test } from "vitest";
import { compareDebian, compareMaven, versionTest } from "./index.js";

// dpkg's own order (lib/dpkg/t/t-version.c and deb-version(7)).
const DEBIAN: [string, "<" | "=" | ">", string][] = [
  ["1.0", "=", "1.0"],
  ["1.0", "<", "1.1"],
  ["1.0~rc1", "<", "1.0"],
  ["1.0~~", "<", "1.0~"],
  ["1.0~", "<", "1.0"],
  ["1.0", "<", "1.0a"],
  ["1.0a", "<", "1.0+"],
  ["1:0.9", ">", "2.0"],
  ["3.0.11-1~deb12u2", "<", "3.0.15-1~deb12u1"],
  ["3.0.15-1~deb12u1", "<", "3.0.15-1"],
  ["2.36-9+deb12u9", "<", "2.36-9+deb12u10"],
  ["1.2.3-1", "<", "1.2.3-1.1"],
  ["0001.0", "=", "1.0"],
  ["1.0-0", "=", "1.0"],
];

// Maven's ComparableVersionTest: each version below the next, plus the equalities it lists.
const MAVEN_ORDER = [
  "1-alpha2snapshot",
  "1-alpha2",
  "1-alpha-123",
  "1-beta-2",
  "1-beta123",
  "1-m2",
  "1-m11",
  "1-rc",
  "1-cr2",
  "1-rc123",
  "1-SNAPSHOT",
  "1",
  "1-sp",
  "1-sp2",
  "1-sp123",
  "1-abc",
  "1-def",
  "1-pom-1",
  "1-1-snapshot",
  "1-1",
  "1-2",
  "1-123",
  "2",
  "2.0.1",
  "2.0.1-xyz",
  "2.0.1-123",
  "2.1",
];
const MAVEN_EQUAL = [
  ["1", "1.0", "1.0.0", "1-0", "1.0-0", "1-ga", "1.0-final", "1-release", "1ga"],
  ["1a", "1-a", "1.0-a", "1.0.0-a"],
  ["1a1", "1-alpha-1", "1alpha1"],
  ["1cr", "1rc", "1-rc"],
  ["1x", "1.0.0-x", "1.0x", "1-x"],
];

describe("Debian versions", () => {
  test.each(DEBIAN)("%s %s %s", (a, rel, b) => {
    expect(compareDebian(a, b)).toBe(rel === "<" ? -1 : rel === ">" ? 1 : 0);
    expect(compareDebian(b, a)).toBe(rel === "<" ? 1 : rel === ">" ? -1 : 0);
  });
});

describe("Maven versions", () => {
  test("ComparableVersionTest's order", () => {
    for (let i = 0; i < MAVEN_ORDER.length; i++) {
      for (let j = i + 1; j < MAVEN_ORDER.length; j++) {
        expect(compareMaven(MAVEN_ORDER[i]!, MAVEN_ORDER[j]!), `${MAVEN_ORDER[i]} < ${MAVEN_ORDER[j]}`).toBe(-1);
        expect(compareMaven(MAVEN_ORDER[j]!, MAVEN_ORDER[i]!)).toBe(1);
      }
    }
  });
  test.each(MAVEN_EQUAL)("equal: %s", (...group) => {
    for (const v of group) expect(compareMaven(group[0]!, v), `${group[0]} = ${v}`).toBe(0);
  });
  test("Spring versions", () => {
    expect(compareMaven("5.3.39", "5.3.4")).toBe(1);
    expect(compareMaven("6.2.0-RC1", "6.2.0")).toBe(-1);
    expect(compareMaven("3.5.4", "3.5.10")).toBe(-1);
  });
});

describe("ranges in each ecosystem's syntax", () => {
  const cases: [Parameters<typeof versionTest>[0], string, string, boolean][] = [
    ["npm", "<4.17.21", "4.17.20", true],
    ["npm", "<4.17.21", "4.17.21", false],
    ["npm", "^1.2.0", "1.9.0", true],
    ["npm", "4.17.21", "4.17.21", true],
    ["pypi", "<2.32.0", "2.31.0", true],
    ["pypi", ">=1.0,<2", "2.0.0", false],
    ["pypi", "2.0", "2.0.0", true],
    ["pypi", "<2.0", "2.0rc1", false],
    ["maven", "[1.0,2.0)", "1.5", true],
    ["maven", "[1.0,2.0)", "2.0", false],
    ["maven", "(,5.3.39]", "5.3.39", true],
    ["maven", "(,5.3.39]", "6.0.0", false],
    ["maven", "[1.0],[3.0,)", "3.1", true],
    ["maven", "<5.3.39", "5.3.4", true],
    ["maven", "6.1.0", "6.1", true],
    ["deb", "<< 3.0.15-1~deb12u1", "3.0.11-1~deb12u2", true],
    ["deb", "<< 3.0.15-1~deb12u1", "3.0.15-1~deb12u1", false],
    ["deb", ">= 2.36, << 2.37", "2.36-9+deb12u9", true],
    ["deb", "2.36-9", "2.36-9", true],
  ];
  test.each(cases)("%s %s matches %s: %s", (eco, range, version, want) => {
    expect(versionTest(eco, range, "--package x")(version)).toBe(want);
  });

  test.each([
    ["npm", ">>1"],
    ["pypi", "=>2"],
    ["maven", "[1.0,2.0"],
    ["deb", "<< x.y"],
  ] as const)("%s: %s is one line naming the syntax", (eco, range) => {
    expect(() => versionTest(eco, range, "--package p")).toThrow(/^--package p: ".*" is not (an|a|Debian)/);
  });
});
