import { describe, expect, test } from "vitest";
import { type LayerToml, parseLayerToml, stringifyLayerToml } from "./layer-toml.js";

describe("<layer>.toml", () => {
  test("types and metadata survive a round trip, and all three types are always written", () => {
    const l: LayerToml = {
      types: { build: false, launch: true, cache: false },
      metadata: { version: "24.11.1", sha256: "0".repeat(64), "exec-env": ["production"], size: 1.5, n: 3 },
    };
    const text = stringifyLayerToml(l);
    expect(text).toMatch(/\[types\]\nbuild = false\nlaunch = true\ncache = false\n/);
    expect(parseLayerToml(text, "node.toml")).toEqual(l);
    const bare: LayerToml = { types: { build: false, launch: false, cache: false }, metadata: {} };
    expect(stringifyLayerToml(bare)).toContain("cache = false");
    expect(parseLayerToml(stringifyLayerToml(bare), "x.toml")).toEqual(bare);
  });

  test("a layer the lifecycle restored (metadata only, no [types]) has every type false", () => {
    // Exactly what lifecycle 0.21's defaultEncoderDecoder.Encode writes on restore.
    const restored = `[metadata]\n  version = "24.11.1"\n  [metadata.key]\n    sha256 = "abc"\n`;
    expect(parseLayerToml(restored, "node.toml")).toEqual({
      types: { build: false, launch: false, cache: false },
      metadata: { version: "24.11.1", key: { sha256: "abc" } },
    });
  });

  test("parses the spec's example shape, with a partial [types] defaulting to false", () => {
    const text = `[types]\n  launch = true\n  cache = true\n\n[metadata]\n  exec-env = ["test"]\n`;
    expect(parseLayerToml(text, "l.toml")).toEqual({
      types: { build: false, launch: true, cache: true },
      metadata: { "exec-env": ["test"] },
    });
  });
});
