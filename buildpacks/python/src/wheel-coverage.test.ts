import { describe, expect, test } from "vitest";
import { allows, wheelCoverage, wheelFits, wheelTags } from "./wheel-coverage.js";

/** orjson 3.10.4's files on PyPI for cp311 and cp312 (it published none for 3.13), and its sdist. */
const ORJSON = [
  "orjson-3.10.4-cp311-cp311-macosx_10_15_x86_64.macosx_11_0_arm64.macosx_10_15_universal2.whl",
  "orjson-3.10.4-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
  "orjson-3.10.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  "orjson-3.10.4-cp311-cp311-musllinux_1_2_x86_64.whl",
  "orjson-3.10.4-cp311-none-win_amd64.whl",
  "orjson-3.10.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  "orjson-3.10.4-cp312-cp312-musllinux_1_2_aarch64.whl",
  "orjson-3.10.4.tar.gz",
];

describe("wheelTags", () => {
  test("splits the compressed tag sets, with or without a build tag; an sdist is no wheel", () => {
    expect(wheelTags("orjson-3.10.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")).toEqual({
      python: ["cp312"],
      abi: ["cp312"],
      platform: ["manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    });
    expect(wheelTags("six-1.16.0-1-py2.py3-none-any.whl")).toEqual({
      python: ["py2", "py3"],
      abi: ["none"],
      platform: ["any"],
    });
    expect(wheelTags("orjson-3.10.4.tar.gz")).toBeUndefined();
    expect(wheelTags("broken.whl")).toBeUndefined();
  });
});

describe("wheelFits", () => {
  const fits = (file: string, minor: number, machine = "x86_64") => wheelFits(wheelTags(file)!, minor, machine);

  test.each([
    // [file, minor, machine, fits]
    ["flask-3.1.0-py3-none-any.whl", 13, "x86_64", true],
    ["six-1.16.0-py2.py3-none-any.whl", 14, "aarch64", true],
    ["orjson-3.10.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 12, "x86_64", true],
    ["orjson-3.10.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 13, "x86_64", false],
    ["orjson-3.10.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 11, "x86_64", false],
    ["orjson-3.10.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 12, "aarch64", false],
    ["orjson-3.10.4-cp312-cp312-musllinux_1_2_x86_64.whl", 12, "x86_64", false],
    ["orjson-3.10.4-cp312-none-win_amd64.whl", 12, "x86_64", false],
    [
      "httptools-0.6.1-cp311-cp311-manylinux_2_5_x86_64.manylinux1_x86_64.manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
      11,
      "x86_64",
      true,
    ],
    // The stable ABI: cp38-abi3 installs on 3.8 and every later line, not an earlier one.
    ["cryptography-44.0.0-cp39-abi3-manylinux_2_28_aarch64.whl", 13, "aarch64", true],
    ["cryptography-44.0.0-cp39-abi3-manylinux_2_28_aarch64.whl", 8, "aarch64", false],
    // A free-threaded build's ABI is not the regular interpreter's.
    ["orjson-3.11.0-cp313-cp313t-manylinux_2_17_x86_64.whl", 13, "x86_64", false],
    // Platform wheels with no ABI (binaries such as ruff's), and a py3N pure wheel.
    ["ruff-0.8.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 13, "x86_64", true],
    ["tomli-2.0.1-py311-none-any.whl", 12, "x86_64", true],
    ["tomli-2.0.1-py311-none-any.whl", 10, "x86_64", false],
    ["lib-1.0-cp312-cp312-linux_x86_64.whl", 12, "x86_64", true],
  ] as const)("%s on 3.%i %s: %s", (file, minor, machine, want) => {
    expect(fits(file, minor, machine)).toBe(want);
  });
});

describe("wheelCoverage", () => {
  test("the lines orjson 3.10.4's glibc wheels cover, per machine", () => {
    const x86 = wheelCoverage(ORJSON, "x86_64");
    expect(x86.kind === "wheels" && [...x86.minors]).toEqual([11, 12]);
    expect(allows(x86, 13)).toBe(false);
    expect(allows(x86, 11)).toBe(true);
    const arm = wheelCoverage(ORJSON, "aarch64");
    expect(arm.kind === "wheels" && [...arm.minors]).toEqual([11]);
  });

  test("an sdist-only package, or one with wheels for other platforms only, allows every line", () => {
    const sdist = wheelCoverage(["pycparser-2.21.tar.gz"], "x86_64");
    expect(sdist).toEqual({ kind: "no-wheels" });
    expect(allows(sdist, 13)).toBe(true);
    expect(wheelCoverage(["pywin32-306-cp312-cp312-win_amd64.whl", "x-1.tar.gz"], "x86_64")).toEqual({
      kind: "no-wheels",
    });
    expect(wheelCoverage([], "x86_64")).toEqual({ kind: "no-wheels" });
  });

  test("a pure wheel covers every line", () => {
    const pure = wheelCoverage(["flask-3.1.0-py3-none-any.whl", "flask-3.1.0.tar.gz"], "aarch64");
    expect(allows(pure, 13)).toBe(true);
    expect(allows(pure, 9)).toBe(true);
  });
});
