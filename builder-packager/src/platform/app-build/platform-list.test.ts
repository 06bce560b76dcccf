/** The platforms of `--platform`: repeated or comma lists, each checked, none twice. */
import { expect, test } from "vitest";
import { parsePlatforms, platformSlug } from "./platform-list.js";

test("repeated flags and comma lists give the platforms in the order given", () => {
  expect(parsePlatforms(["linux/amd64", "linux/arm64/v8"])).toEqual([
    { os: "linux", architecture: "amd64" },
    { os: "linux", architecture: "arm64", variant: "v8" },
  ]);
  expect(parsePlatforms(["linux/arm64, linux/amd64"])).toEqual([
    { os: "linux", architecture: "arm64" },
    { os: "linux", architecture: "amd64" },
  ]);
  expect(parsePlatforms([])).toEqual([]);
  expect(platformSlug({ os: "linux", architecture: "arm64", variant: "v8" })).toBe("linux-arm64-v8");
});

test.each([
  [["linux/amd64", "linux/amd64"], "--platform linux/amd64 is given twice; name each platform once"],
  [["linux/amd64,linux/arm64", "linux/arm64"], "--platform linux/arm64 is given twice; name each platform once"],
  [["linux/mips"], '--platform: target "linux/mips": unknown arch "mips"'],
  [["windows/amd64"], '--platform: target "windows/amd64": os "windows" is not supported (only linux)'],
  [["amd64"], '--platform: target "amd64" must look like os/arch, e.g. linux/amd64'],
  [["linux/amd64,"], "--platform has an empty entry; give os/arch values such as linux/amd64,linux/arm64"],
])("%j is one line: %s", (values, line) => {
  expect(() => parsePlatforms(values)).toThrow(line);
});
