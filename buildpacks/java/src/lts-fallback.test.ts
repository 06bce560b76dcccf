import { expect, test } from "vitest";
import { isLtsMajor, javaMajor, nearestNewerLts, oldestSourceLevel, sourceLevelFallback } from "./lts-fallback.js";

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

const INVENTORY = ["17.0.19", "21.0.11", "25.0.3"];
test.each([
  [
    "7 with 17, 21, 25: the newest that compiles 7",
    7,
    [INVENTORY],
    17,
    "JDK 20 and later no longer compile source level 7",
  ],
  ["7 with 11 too: still the newest that compiles it", 7, [["11.0.28", ...INVENTORY]], 17, "JDK 20"],
  [
    "6 with 11: JDK 12 dropped 6",
    6,
    [["11.0.28", ...INVENTORY]],
    11,
    "JDK 12 and later no longer compile source level 6",
  ],
  ["8 with 17, 21, 25: the nearest newer LTS", 8, [INVENTORY], 17, "the nearest newer LTS"],
  ["8 with 11: 11", 8, [["11.0.28", ...INVENTORY]], 11, "the nearest newer LTS"],
  ["16 goes to 17", 16, [INVENTORY], 17, "the nearest newer LTS"],
  ["the runtime must have it too", 7, [INVENTORY, ["21.0.11"]], undefined, undefined],
  ["6 with no JDK up to 11", 6, [INVENTORY], undefined, undefined],
  ["newer than the inventory", 26, [INVENTORY], undefined, undefined],
])("source level %s", (_name, requested, available, major, why) => {
  const choice = sourceLevelFallback(requested, available);
  expect(choice?.major).toBe(major);
  if (why) expect(choice?.why).toContain(why);
});

test.each([
  [25, 8],
  [21, 8],
  [20, 8],
  [19, 7],
  [17, 7],
  [12, 7],
  [11, 6],
  [9, 6],
])("JDK %i compiles source level %i and up", (jdk, level) => {
  expect(oldestSourceLevel(jdk)).toBe(level);
});
