import { describe, expect, test } from "vitest";
import { type BuildpackPlanEntry, parseBuildpackPlan, stringifyBuildpackPlan } from "./buildpack-plan.js";

describe("buildpack plan", () => {
  test("entries survive a round trip", () => {
    const entries: BuildpackPlanEntry[] = [
      { name: "node", metadata: { version: "24.x", build: true, launch: true } },
      { name: "node", metadata: {} },
      { name: "yarn", metadata: { when: new Date("2025-01-02T03:04:05.000Z"), list: [{ a: 1 }, { b: 2 }] } },
    ];
    expect(parseBuildpackPlan(stringifyBuildpackPlan(entries), "plan.toml")).toEqual(entries);
    expect(parseBuildpackPlan(stringifyBuildpackPlan([]), "plan.toml")).toEqual([]);
  });

  test("parses what the lifecycle writes; missing metadata is {} and a legacy version key is ignored", () => {
    const text = `
[[entries]]
  name = "node"
  version = "18"
  [entries.metadata]
    version = "18.x"

[[entries]]
  name = "npm"
`;
    expect(parseBuildpackPlan(text, "plan.toml")).toEqual([
      { name: "node", metadata: { version: "18.x" } },
      { name: "npm", metadata: {} },
    ]);
  });
});
