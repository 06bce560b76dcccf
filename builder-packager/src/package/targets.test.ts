/**
 * `[[targets]]` entries that name distros, as the reference buildpacks do (Debian 12 and 13):
 * packaging picks arches from them and keeps every distro on the targets it writes.
 */
import type { Target } from "@cnbkit/framework/cnb-files";
import { describe, expect, test } from "vitest";
import { defaultTargetsNote, resolveTargets, targetsBuiltFor } from "./targets.js";

const distros = [
  { name: "debian", version: "12" },
  { name: "debian", version: "13" },
];
const declared: Target[] = [
  { os: "linux", arch: "amd64", distros },
  { os: "linux", arch: "arm64", distros },
];

describe("targets that name distros", () => {
  test("the arches are chosen from them; distros do not narrow the os/arch choice", () => {
    expect(resolveTargets(["linux/amd64,linux/arm64"], declared, true, "--target")).toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
    expect(() => resolveTargets(["linux/ppc64le"], declared, false, "--target")).toThrow(
      '--target: target "linux/ppc64le" is not among the buildpack\'s [[targets]] (linux/amd64, linux/arm64)',
    );
  });

  test("a package for one arch keeps both Debian releases on its target", () => {
    expect(targetsBuiltFor(declared, { os: "linux", architecture: "arm64", variant: "v8" })).toEqual([
      { os: "linux", arch: "arm64", variant: "v8", distros },
    ]);
    expect(targetsBuiltFor(declared, { os: "linux", architecture: "amd64" })).toEqual([
      { os: "linux", arch: "amd64", distros },
    ]);
  });
});

/** Which targets a default packaging leaves out, and the one line that says so. */
const amd = { os: "linux", architecture: "amd64" };
const both = [
  { os: "linux", arch: "amd64" },
  { os: "linux", arch: "arm64" },
];

test("a default packaging that left a declared arch out names it and the --target that adds it", () => {
  expect(defaultTargetsNote(undefined, both, ["linux/amd64"], amd)).toBe(
    "Packaging linux/amd64 only (this machine's); [[targets]] also lists linux/arm64: add --target linux/arm64, or --target linux/amd64,linux/arm64 for all",
  );
});

test("a buildpack for other arches only says this machine's is not among them", () => {
  expect(
    defaultTargetsNote(
      undefined,
      [
        { os: "linux", arch: "arm64" },
        { os: "linux", arch: "ppc64le" },
      ],
      ["linux/arm64"],
      amd,
    ),
  ).toBe(
    "Packaging linux/arm64 only (the first of [[targets]]; this machine's linux/amd64 is not among them); [[targets]] also lists linux/ppc64le: add --target linux/ppc64le, or --target linux/arm64,linux/ppc64le for all",
  );
});

test("nothing to say when targets were asked for, all were packaged, or none is declared by arch", () => {
  expect(defaultTargetsNote(["linux/amd64"], both, ["linux/amd64"], amd)).toBeUndefined();
  expect(defaultTargetsNote(undefined, both, ["linux/amd64", "linux/arm64"], amd)).toBeUndefined();
  expect(defaultTargetsNote(undefined, [{ os: "linux" }], ["linux/amd64"], amd)).toBeUndefined();
  expect(defaultTargetsNote(undefined, [], ["linux/amd64"], amd)).toBeUndefined();
});
