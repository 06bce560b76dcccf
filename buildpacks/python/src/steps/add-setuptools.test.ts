import { expect, test } from "vitest";
import { wantsSetuptools } from "./add-setuptools.js";

test.each([
  ["pip", "3.11", true],
  ["pipenv", "3.10", true],
  ["pip", "3.12", false],
  ["pipenv", "3.13", false],
  ["uv", "3.11", false],
  ["poetry", "3.11", false],
] as const)("a %s venv on CPython %s gets setuptools: %s", (manager, minor, wanted) => {
  expect(wantsSetuptools(manager, minor)).toBe(wanted);
});
