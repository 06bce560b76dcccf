import { describe, expect, test } from "vitest";
import { parseStoreToml, type StoreToml, stringifyStoreToml } from "./store-toml.js";

describe("store.toml", () => {
  test("metadata survives a round trip with TOML's awkward values", () => {
    const s: StoreToml = {
      metadata: {
        int: 42,
        negative: -7,
        float: 3.25,
        big: Number.MAX_SAFE_INTEGER,
        inf: Number.POSITIVE_INFINITY,
        nan: Number.NaN,
        offsetDate: new Date("1979-05-27T07:32:00.000Z"),
        "dotted.key": "kept as one key",
        "spaced key": "é 中文 🚀 \u0001 \t tab",
        multiline: "a\nb\r\nc",
        arrays: [[1, 2], ["a"], []],
        tables: [{ a: { b: [true, false] } }, {}],
      },
    };
    const text = stringifyStoreToml(s);
    expect(text).toContain('"dotted.key"');
    expect(parseStoreToml(text, "store.toml")).toEqual(s);
  });

  test("TOML-only values parse to what they mean", () => {
    const s = parseStoreToml(
      `[metadata]\nhex = 0xff\nunderscore = 1_000\nexp = 1e3\nfloatOne = 1.0\nlocalDate = 2024-01-31\nlocalTime = 07:32:00\n`,
      "store.toml",
    );
    expect(s.metadata.hex).toBe(255);
    expect(s.metadata.underscore).toBe(1000);
    expect(s.metadata.exp).toBe(1000);
    expect(s.metadata.floatOne).toBe(1);
    expect(s.metadata.localDate).toBeInstanceOf(Date);
    // local dates and times keep their TOML form when written back
    const again = stringifyStoreToml(s);
    expect(again).toContain("localDate = 2024-01-31\n");
    expect(again).toMatch(/localTime = 07:32:00/);
    expect(parseStoreToml(again, "store.toml")).toEqual(s);
  });

  test("a missing [metadata] is {}", () => {
    expect(parseStoreToml("", "store.toml")).toEqual({ metadata: {} });
    expect(parseStoreToml(stringifyStoreToml({ metadata: {} }), "store.toml")).toEqual({ metadata: {} });
  });
});
