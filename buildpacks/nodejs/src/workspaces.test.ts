import { describe, expect, test } from "vitest";
import { detectWorkspaces, isWorkspaceMember, projectPath } from "./workspaces.js";

describe("workspaces", () => {
  test("npm/yarn workspaces as an array or {packages}", () => {
    expect(detectWorkspaces({ workspaces: ["packages/*"] }, undefined)).toEqual({
      kind: "npm/yarn",
      patterns: ["packages/*"],
    });
    expect(detectWorkspaces({ workspaces: { packages: ["apps/**"] } }, undefined)?.patterns).toEqual(["apps/**"]);
    expect(detectWorkspaces({ name: "x" }, undefined)).toBeUndefined();
  });
  test("pnpm-workspace.yaml", () => {
    const ws = detectWorkspaces(undefined, "packages:\n  - 'apps/*'\n  - \"libs/**\"  # all libs\n");
    expect(ws).toEqual({ kind: "pnpm", patterns: ["apps/*", "libs/**"] });
  });
  test("membership by glob", () => {
    const ws = { kind: "npm/yarn" as const, patterns: ["apps/*", "libs/**"] };
    expect(isWorkspaceMember("apps/web", ws)).toBe(true);
    expect(isWorkspaceMember("apps/web/sub", ws)).toBe(false);
    expect(isWorkspaceMember("libs/a/b", ws)).toBe(true);
    expect(isWorkspaceMember(".", ws)).toBe(false);
  });
  test("BP_NODE_PROJECT_PATH is cleaned and may not escape", () => {
    expect(projectPath({})).toBe(".");
    expect(projectPath({ BP_NODE_PROJECT_PATH: "./apps/web/" })).toBe("apps/web");
    expect(() => projectPath({ BP_NODE_PROJECT_PATH: "../x" })).toThrow(
      /BP_NODE_PROJECT_PATH: "..\/x" must be a path inside/,
    );
    expect(() => projectPath({ BP_NODE_PROJECT_PATH: "/etc" })).toThrow(/must be a path inside/);
  });
});
