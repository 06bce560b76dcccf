import { patchRecord, patchVerdict } from "@cnbkit/framework/dependencies";
import { expect, test } from "vitest";
import { CPYTHON_PATCH_RULE } from "./patch-rule.js";

const record = (version: string) =>
  patchRecord({ id: "cpython", version, sha256: "0".repeat(64) }, "amd64", CPYTHON_PATCH_RULE);

test("a CPython runtime moves within its minor (Debian's 3.13.5 → 3.13.18), not to another minor", () => {
  expect(patchVerdict(record("3.13.5"), record("3.13.18"))).toEqual({ ok: true });
  expect(patchVerdict(record("3.13.5"), record("3.14.1")).ok).toBe(false);
});

test("the plan says what stays behind in the venv: its bytecode and what the venv module wrote, both kept", () => {
  // What a real patch of python-hello showed: the venv layer names the exact release it was made on.
  expect(CPYTHON_PATCH_RULE.derived?.map((d) => [d.action, d.what])).toEqual([
    ["keep", "compiled bytecode and extension modules of the app's packages"],
    ["keep", "the venv's pyvenv.cfg version, activate scripts and cache key, made by the old release"],
  ]);
  expect(record("3.13.18").derived).toEqual(CPYTHON_PATCH_RULE.derived);
});
