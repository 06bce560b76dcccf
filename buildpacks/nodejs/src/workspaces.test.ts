import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { detectWorkspaces, isWorkspaceMember, projectPath, workspaceMembers } from "./workspaces.js";

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
  test("members on disk: matched dirs with a package.json, minus ! patterns, not inside node_modules", async () => {
    const root = await mkdtemp(join(tmpdir(), "cnbkit-ws-members-"));
    try {
      for (const dir of [
        "apps/web",
        "apps/old",
        "apps/docs-only",
        "libs/a/b",
        "libs/node_modules/x",
        "libs/.cache/y",
      ]) {
        await mkdir(join(root, dir), { recursive: true });
        if (dir !== "apps/docs-only") await writeFile(join(root, dir, "package.json"), "{}");
      }
      const ws = { kind: "pnpm" as const, patterns: ["apps/*", "libs/**", "!apps/old"] };
      expect(await workspaceMembers(root, ws)).toEqual(["apps/web", "libs/a/b"]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
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
