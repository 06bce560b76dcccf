import { expect, test } from "vitest";
import { flagsKey, goBuildFlags } from "./build-flags.js";

test.each([
  ["defaults", { vendored: false }, ["-trimpath", "-buildvcs=false", "-ldflags=-s -w"]],
  ["a vendored app", { vendored: true }, ["-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-mod=vendor"]],
  [
    "-mod from the user wins",
    { vendored: true, flags: "-mod=mod" },
    ["-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-mod=mod"],
  ],
  [
    "BP_GO_BUILD_LDFLAGS replaces the default",
    { vendored: false, ldflags: "-X main.v=1" },
    ["-trimpath", "-buildvcs=false", "-ldflags=-X main.v=1"],
  ],
  [
    "an -ldflags in BP_GO_BUILD_FLAGS, quoted",
    { vendored: false, flags: `-tags netgo -ldflags "-s -X 'main.v=a b'"` },
    ["-trimpath", "-buildvcs=false", "-tags", "netgo", "-ldflags", "-s -X 'main.v=a b'"],
  ],
])("%s", (_, inputs, flags) => {
  expect(goBuildFlags(inputs)).toEqual(flags);
});

test.each([
  [
    { vendored: false, flags: "-ldflags=-s", ldflags: "-w" },
    "BP_GO_BUILD_FLAGS has -ldflags and BP_GO_BUILD_LDFLAGS is set too",
  ],
  [{ vendored: false, flags: "-o /tmp/x" }, "BP_GO_BUILD_FLAGS: -o sets the binary's path"],
  [{ vendored: false, flags: '-tags "x' }, "BP_GO_BUILD_FLAGS: unterminated"],
])("%o fails in one line", (inputs, message) => {
  expect(() => goBuildFlags(inputs)).toThrow(message);
});

test("flagsKey reads as the command line", () => {
  expect(flagsKey(["-trimpath", "-ldflags=-s -w"])).toBe('-trimpath "-ldflags=-s -w"');
});
