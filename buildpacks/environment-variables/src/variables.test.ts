import { describe, expect, test } from "vitest";
import { launchOperations } from "./variables.js";

describe("launchOperations", () => {
  test.each([
    ["BPE_<NAME> overrides", { BPE_GREETING: "hi" }, [{ name: "GREETING", op: "override", value: "hi" }]],
    ["BPE_OVERRIDE_<NAME>", { BPE_OVERRIDE_X: "1" }, [{ name: "X", op: "override", value: "1" }]],
    ["BPE_DEFAULT_<NAME>", { BPE_DEFAULT_X: "d" }, [{ name: "X", op: "default", value: "d" }]],
    ["BPE_APPEND_<NAME>, no delimiter", { BPE_APPEND_OPTS: "-v" }, [{ name: "OPTS", op: "append", value: "-v" }]],
    [
      "append and prepend share BPE_DELIM_<NAME>",
      { BPE_APPEND_P: "/z", BPE_PREPEND_P: "/a", BPE_DELIM_P: ":" },
      [
        { name: "P", op: "append", value: "/z", delim: ":" },
        { name: "P", op: "prepend", value: "/a", delim: ":" },
      ],
    ],
    // Typed prefixes first: BPE_APPEND_X never overrides APPEND_X.
    ["BPE_APPEND without _ is a name", { BPE_APPEND: "a" }, [{ name: "APPEND", op: "override", value: "a" }]],
    ["lower case names", { BPE_http_proxy: "p" }, [{ name: "http_proxy", op: "override", value: "p" }]],
    ["values verbatim", { BPE_X: " a b\n" }, [{ name: "X", op: "override", value: " a b\n" }]],
    ["empty values count", { BPE_X: "" }, [{ name: "X", op: "override", value: "" }]],
    ["others are ignored", { BP_X: "1", XBPE_Y: "1", BPE_Z: undefined }, []],
  ] as const)("%s", (_, settings, expected) => {
    const ops = launchOperations(settings).operations.map(({ from: _f, ...o }) => o);
    expect(ops).toEqual(expected);
  });

  test("a delimiter with nothing to delimit is a warning", () => {
    expect(launchOperations({ BPE_DELIM_P: ":", BPE_P: "x" }).warnings).toEqual([
      "BPE_DELIM_P is ignored: there is no BPE_APPEND_P or BPE_PREPEND_P to delimit",
    ]);
  });

  test("bad names and two overrides of one variable fail with one line", () => {
    expect(() => launchOperations({ BPE_DEFAULT_: "x" })).toThrow(
      /^BPE_DEFAULT_: "" is not an environment variable name/,
    );
    expect(() => launchOperations({ "BPE_A-B": "x" })).toThrow(/^BPE_A-B: "A-B" is not/);
    expect(() => launchOperations({ BPE_X: "1", BPE_OVERRIDE_X: "2" })).toThrow(
      "BPE_OVERRIDE_X and BPE_X both set X at launch",
    );
  });
});
