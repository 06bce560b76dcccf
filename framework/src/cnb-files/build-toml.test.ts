import { describe, expect, test } from "vitest";
import { type BuildToml, parseBuildToml, stringifyBuildToml } from "./build-toml.js";

describe("build.toml", () => {
  test("unmet entries survive a round trip", () => {
    const b: BuildToml = { unmet: [{ name: "node" }, { name: "npm ✓" }] };
    const text = stringifyBuildToml(b);
    expect(text).toContain("[[unmet]]");
    expect(parseBuildToml(text, "build.toml")).toEqual(b);
    expect(parseBuildToml(stringifyBuildToml({ unmet: [] }), "build.toml")).toEqual({ unmet: [] });
  });

  test("the legacy [[bom]] array is ignored", () => {
    const text = `[[bom]]\nname = "x"\n[bom.metadata]\nv = 1\n\n[[unmet]]\nname = "y"\n`;
    expect(parseBuildToml(text, "build.toml")).toEqual({ unmet: [{ name: "y" }] });
  });
});
