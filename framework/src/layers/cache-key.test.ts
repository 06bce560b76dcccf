import { expect, test } from "vitest";
import { keyChanges } from "./cache-key.js";

test("keyChanges names each changed, added and removed field", () => {
  expect(keyChanges({ version: "1", sha256: "a" }, { version: "2", sha256: "a", os: "linux" })).toEqual([
    "version 1 → 2",
    "os (none) → linux",
  ]);
  expect(keyChanges({ a: { b: 1 } }, { a: { b: 2 } })).toEqual(["a.b 1 → 2"]);
  expect(keyChanges({ gone: true }, {})).toEqual(["gone true → (none)"]);
});
