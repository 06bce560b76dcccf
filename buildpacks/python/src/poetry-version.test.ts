import { expect, test } from "vitest";
import { choosePoetryVersion, isRange, requiresPoetry } from "./poetry-version.js";

const base = { setting: undefined, defaultVersion: "2.5.1", inventory: ["2.5.1", "2.1.4"] };

test.each([
  ["no requires-poetry: the default", undefined, "2.5.1", undefined],
  ["the default in range", ">=2.0", "2.5.1", undefined],
  ["a caret range", "^2.1", "2.5.1", undefined],
  [
    "the default out of range: the newest inventory Poetry in it",
    "<2.5",
    "2.1.4",
    'pyproject.toml [tool.poetry] requires-poetry "<2.5": the newest inventory Poetry in range (the default 2.5.1 is not)',
  ],
  ["Poetry's tilde", "~2.1", "2.1.4", /the newest inventory Poetry in range/],
  [
    "none in the inventory: the range, for the index",
    "<=2.0.0",
    "<=2.0.0",
    'pyproject.toml [tool.poetry] requires-poetry "<=2.0.0": no inventory Poetry is in range (2.5.1, 2.1.4), so the newest the index has',
  ],
  ["a bare version means that line", "2.0", "==2.0.*", /no inventory Poetry is in range/],
] as const)("%s", (_name, requires, version, why) => {
  const r = choosePoetryVersion({ ...base, requires });
  expect(r.version).toBe(version);
  if (why === undefined) expect(r.why).toBeUndefined();
  else expect(r.why).toMatch(why);
});

test("BP_POETRY_VERSION wins when requires-poetry allows it, and fails in one line when it does not", () => {
  expect(choosePoetryVersion({ ...base, requires: "<2.5", setting: "2.1.0" }).version).toBe("2.1.0");
  expect(choosePoetryVersion({ ...base, requires: undefined, setting: "1.8.5" }).version).toBe("1.8.5");
  expect(() => choosePoetryVersion({ ...base, requires: "<=2.0.0", setting: "2.5.1" })).toThrow(
    'BP_POETRY_VERSION: Poetry 2.5.1 is outside pyproject.toml [tool.poetry] requires-poetry "<=2.0.0"',
  );
});

test("a requires-poetry that is no constraint is one line with the fix", () => {
  let err: (Error & { hint?: string }) | undefined;
  try {
    choosePoetryVersion({ ...base, requires: "newest please" });
  } catch (e) {
    err = e as Error & { hint?: string };
  }
  expect(err?.message).toBe('pyproject.toml [tool.poetry] requires-poetry "newest please" is not a version constraint');
  expect(err?.hint).toMatch(/^Write it as Poetry does/);
});

test("ranges and versions; requires-poetry read from pyproject.toml", () => {
  expect(isRange("<=2.0.0")).toBe(true);
  expect(isRange("==2.0.*")).toBe(true);
  expect(isRange("2.5.1")).toBe(false);
  expect(requiresPoetry({ tool: { poetry: { "requires-poetry": ">=2.0" } } })).toBe(">=2.0");
  expect(requiresPoetry({ tool: { poetry: { "requires-poetry": 2 } } })).toBeUndefined();
  expect(requiresPoetry(undefined)).toBeUndefined();
});
