import { describe, expect, test } from "vitest";
import { bunRefusal } from "./bun-refusal.js";

describe("bunRefusal", () => {
  test("a Bun lock alone asks for a lockfile of npm, yarn or pnpm", () => {
    const err = bunRefusal({ lockfile: "bun.lock" });
    expect(err.message).toBe("bun.lock: Bun projects are not supported by cnbkit/nodejs");
    expect(err.hint).toMatch(/commit package-lock.json/);
  });

  test("a Bun root beside a uv workspace (full-stack-fastapi-template) names the member to build", () => {
    // The root pyproject.toml of fastapi/full-stack-fastapi-template@68adb40: no [project], one member.
    const pyproject = {
      "dependency-groups": { dev: ["prek>=0.4.11,<1.0.0"] },
      tool: { uv: { workspace: { members: ["backend"] } } },
    };
    const err = bunRefusal({ lockfile: "bun.lock", pyproject });
    expect(err.message).toBe(
      "bun.lock: Bun projects are not supported by cnbkit/nodejs, and this root is a uv workspace whose app is backend",
    );
    expect(err.hint).toBe(
      "Build the frontend with Bun first (bun run build), then the app alone: cnbkit build backend",
    );
  });

  test("a pyproject.toml that is no uv workspace keeps the plain line", () => {
    const err = bunRefusal({ lockfile: "web/bun.lockb", pyproject: { project: { name: "x" }, tool: { uv: {} } } });
    expect(err.message).toBe("web/bun.lockb: Bun projects are not supported by cnbkit/nodejs");
  });
});
