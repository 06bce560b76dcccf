import { describe, expect, test } from "vitest";
import { type PatchRule, patchRecord, patchVerdict, readPatchRecord, releaseLine } from "./patch-rule.js";

const node: PatchRule = { same: "major", why: "NODE_MODULE_VERSION is fixed within a major" };
const python: PatchRule = { same: "minor", why: "the ABI and .pyc magic are fixed within a minor" };
const rec = (version: string, rule = node, over: Partial<{ id: string; arch: string }> = {}) =>
  patchRecord({ id: over.id ?? "node", version, sha256: `sha-${version}` }, over.arch ?? "amd64", rule);

describe("patch rules", () => {
  test.each([
    ["24.11.1", "major", "24"],
    ["v22.3.0", "major", "22"],
    ["3.13.5", "minor", "3.13"],
    ["21.0.13+11", "major", "21"],
    ["21", "minor", undefined],
    ["latest", "major", undefined],
  ] as const)("release line of %s (same %s) is %s", (v, line, want) => {
    expect(releaseLine(v, line)).toBe(want);
  });

  test.each([
    ["24.11.0", "24.11.1", node, true],
    ["24.11.0", "24.12.0", node, true],
    ["24.11.1", "25.0.0", node, false],
    ["24.11.1", "24.11.0", node, false],
    ["24.11.1", "24.11.1", node, false],
    ["3.13.2", "3.13.5", python, true],
    ["3.13.5", "3.14.0", python, false],
  ] as const)("%s -> %s allowed: %s", (from, to, rule, ok) => {
    expect(patchVerdict(rec(from, rule), rec(to, rule)).ok).toBe(ok);
  });

  test("the reason names both versions and the rule's why", () => {
    expect(patchVerdict(rec("24.11.1"), rec("25.1.0"))).toEqual({
      ok: false,
      why: "node 25.1.0 leaves line 24 (same major: NODE_MODULE_VERSION is fixed within a major)",
    });
    expect(patchVerdict(rec("24.1.0"), rec("24.2.0", node, { arch: "arm64" }))).toEqual({
      ok: false,
      why: "the candidate is for arm64, not amd64",
    });
    expect(patchVerdict(rec("24.1.0"), rec("24.2.0", node, { id: "python" })).ok).toBe(false);
  });

  test("a record survives the label's JSON and a malformed one reads as none", () => {
    const stored = JSON.parse(JSON.stringify({ "cache-key": {}, patch: rec("24.11.0") }));
    expect(readPatchRecord(stored)).toEqual(rec("24.11.0"));
    expect(readPatchRecord({ patch: { ...rec("24.11.0"), same: "patch" } })).toBeUndefined();
    expect(readPatchRecord({})).toBeUndefined();
    expect(() => patchRecord({ id: "python", version: "3", sha256: "x" }, "amd64", python)).toThrow(/no minor/);
  });
});
