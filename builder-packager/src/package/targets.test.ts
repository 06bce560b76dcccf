/**
 * `[[targets]]` entries that name distros, as the reference buildpacks do (Debian 12 and 13):
 * packaging picks arches from them and keeps every distro on the targets it writes.
 */
import type { Target } from "@cnbkit/framework/cnb-files";
import { describe, expect, test } from "vitest";
import { resolveTargets, targetsBuiltFor } from "./targets.js";

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
