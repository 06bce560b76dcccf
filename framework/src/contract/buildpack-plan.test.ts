import { describe, expect, test } from "vitest";
import { BuildpackPlan } from "./buildpack-plan.js";

describe("BuildpackPlan", () => {
  const plan = new BuildpackPlan([
    { name: "node", metadata: { version: "22.x", "version-source": ".nvmrc", build: true } },
    { name: "node", metadata: { version: "24.x", "version-source": "package.json" } },
    { name: "node", metadata: { version: "*", launch: true } },
    { name: "npm", metadata: {} },
  ]);

  test("has, all and version read the entries", () => {
    expect(plan.has("node")).toBe(true);
    expect(plan.has("yarn")).toBe(false);
    expect(plan.all("node")).toHaveLength(3);
    expect(plan.version("node")).toBe("22.x");
    expect(plan.version("npm")).toBeUndefined();
  });

  test("resolve picks by version-source priority and merges launch/build", () => {
    expect(plan.resolve("node", ["BP_NODE_VERSION", "package.json", ".nvmrc"])).toEqual({
      name: "node",
      metadata: { version: "24.x", "version-source": "package.json" },
      version: "24.x",
      versionSource: "package.json",
      launch: true,
      build: true,
    });
    // RegExp priorities; unranked entries keep plan order.
    expect(plan.resolve("node", [/nvm/])?.versionSource).toBe(".nvmrc");
    expect(plan.resolve("node")?.version).toBe("22.x");
    expect(plan.resolve("yarn")).toBeUndefined();
  });
});
