import { describe, expect, test } from "vitest";
import { type BuildPlan, parseBuildPlan, stringifyBuildPlan } from "./build-plan.js";

describe("build plan", () => {
  test("alternatives survive a round trip: the first at top level, the rest under [[or]]", () => {
    const plans: BuildPlan[] = [
      {
        provides: [{ name: "node" }, { name: "npm" }],
        requires: [{ name: "node", metadata: { version: "24.x", "version-source": "package.json", build: true } }],
      },
      { provides: [{ name: "node" }], requires: [{ name: "node" }, { name: "empty-meta", metadata: {} }] },
      { provides: [], requires: [{ name: "yarn", metadata: { nested: { list: [1, 2.5, "три"] } } }] },
    ];
    const text = stringifyBuildPlan(plans);
    expect(text).toContain("[[or]]");
    expect(text).toContain("[[or.requires]]");
    expect(parseBuildPlan(text, "plan.toml")).toEqual(plans);
  });

  test("an empty first alternative and an empty plan are kept apart", () => {
    const onlyOr: BuildPlan[] = [
      { provides: [], requires: [] },
      { provides: [{ name: "jdk" }], requires: [] },
    ];
    expect(parseBuildPlan(stringifyBuildPlan(onlyOr), "plan.toml")).toEqual(onlyOr);
    const single: BuildPlan[] = [{ provides: [], requires: [] }];
    expect(parseBuildPlan(stringifyBuildPlan(single), "plan.toml")).toEqual(single);
    expect(stringifyBuildPlan([])).toBe("");
    expect(parseBuildPlan("", "plan.toml")).toEqual([]);
  });

  test("parses the spec's example shape", () => {
    const text = `
[[provides]]
name = "a"

[[requires]]
name = "b"

[requires.metadata]
version = "1"

[[or]]

[[or.provides]]
name = "c"

[[or.requires]]
name = "d"

[or.requires.metadata]
flag = true
`;
    expect(parseBuildPlan(text, "plan.toml")).toEqual([
      { provides: [{ name: "a" }], requires: [{ name: "b", metadata: { version: "1" } }] },
      { provides: [{ name: "c" }], requires: [{ name: "d", metadata: { flag: true } }] },
    ]);
  });
});
