import { expect, test } from "vitest";
import { isLtsMajor, javaMajor, nearestNewerLts } from "./lts-fallback.js";

test.each([
  ["11 with 17, 21, 25", 11, [["17.0.9", "21.0.8", "25.0.1"]], 17],
  ["8 with 21 and 25 only", 8, [["25.0.1", "21.0.8"]], 21],
  ["a non-LTS 18 goes up to 21, not to a non-LTS 19", 18, [["17.0.9", "19.0.2", "21.0.8"]], 21],
  ["the JDK must have it too (a build that compiles)", 11, [["17.0.9", "21.0.8"], ["21.0.8"]], 21],
  ["nothing newer", 25, [["17.0.9", "21.0.8", "25.0.1"]], undefined],
  ["only non-LTS lines newer", 21, [["22.0.1", "23.0.1"]], undefined],
  ["an empty inventory", 11, [[]], undefined],
])("%s", (_name, requested, available, expected) => {
  expect(nearestNewerLts(requested, available)).toBe(expected);
});

test.each([
  [8, true],
  [11, true],
  [17, true],
  [21, true],
  [25, true],
  [29, true],
  [9, false],
  [16, false],
  [22, false],
])("isLtsMajor(%i) is %s", (major, lts) => {
  expect(isLtsMajor(major)).toBe(lts);
});

test.each([
  ["1.8.0_392", 8],
  ["17.0.9", 17],
  ["21", 21],
  ["x", undefined],
])("javaMajor(%s) is %s", (v, major) => {
  expect(javaMajor(v)).toBe(major);
});
