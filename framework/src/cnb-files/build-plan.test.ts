import { describe, expect, test } from "vitest";
import { type BuildPlan, parseBuildPlan, stringifyBuildPlan } from "./build-plan.js";
import { parseToml } from "./toml.js";
import { buildPlanText } from "./build-plan-text.js";
import { inlineTomlValue } from "./toml-inline.js";

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

  test("metadata is written inline, and read back as written", () => {
    const plans: BuildPlan[] = [
      { provides: [{ name: "node" }], requires: [{ name: "node", metadata: { version: "24.x", launch: true } }] },
    ];
    expect(stringifyBuildPlan(plans)).toBe(
      '[[provides]]\nname = "node"\n\n[[requires]]\nname = "node"\nmetadata = { version = "24.x", launch = true }\n',
    );
  });

  test("metadata with no inline form (a Date) is written through smol-toml", () => {
    const when = new Date("2026-11-24T01:00:00Z");
    const plans: BuildPlan[] = [{ provides: [], requires: [{ name: "x", metadata: { when } }] }];
    const text = stringifyBuildPlan(plans);
    expect(text).toContain("[requires.metadata]");
    expect(parseBuildPlan(text, "plan.toml")[0]?.requires[0]?.metadata?.when).toEqual(when);
  });
});

describe("buildPlanText", () => {
  test("leaves to the general writer what it cannot write or must refuse", () => {
    expect(buildPlanText([])).toBe("");
    expect(buildPlanText([{ provides: [{ name: "" }], requires: [] }])).toBeUndefined();
    const notTable = [{ provides: [], requires: [{ name: "x", metadata: [1] as unknown as Record<string, unknown> }] }];
    expect(buildPlanText(notTable)).toBeUndefined();
    // ...and the general writer names the field.
    expect(() => stringifyBuildPlan([{ provides: [{ name: "" }], requires: [] }])).toThrow(
      "plan.toml: [[provides]][0].name must not be empty",
    );
  });
});

describe("inlineTomlValue", () => {
  test.each([
    ["a string with quotes, a newline, a tab and a control char", 'say "hi"\n\tand \u0001 bye'],
    ["unicode, astral too", "три 🚀 é"],
    ["integers, floats, exponents", [0, -7, 9007199254740991, 1.5, -0.25, 1.25e-10, 5e-7]],
    ["booleans and mixed arrays", [true, false, "x", 1, [2, ["deep"]], { a: 1 }]],
    ["keys that need quotes", { "a.b": 1, "with space": 2, "": 3, ключ: { nested: { deeper: "yes" } } }],
    ["empty containers", { list: [], table: {} }],
  ])("%s: smol-toml reads back what it writes", (_what, value) => {
    const text = inlineTomlValue(value);
    expect(text).toBeDefined();
    expect(text).not.toContain("\n");
    expect(parseToml(`v = ${text}`, "test.toml").v).toEqual(value);
  });

  test("undefined entries are dropped, as stringifyToml drops them", () => {
    expect(inlineTomlValue({ a: undefined, b: [1, undefined, 2] })).toBe("{ b = [1, 2] }");
  });

  test.each([
    ["null", null],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["an integer past 2^53", 2 ** 60],
    ["a BigInt", 1n],
    ["a Date", new Date(0)],
    ["a class instance", new (class Point {})()],
    ["a lone surrogate", "\ud800"],
    ["one bad value deep inside", { ok: [1, { bad: null }] }],
  ])("%s has no inline form", (_what, value) => {
    expect(inlineTomlValue(value)).toBeUndefined();
  });
});
