import { describe, expect, test } from "vitest";
import { chooseGoVersion, semverOf } from "./go-version.js";

const available = ["1.25.14", "1.26.11", "1.27.4"];
const defaultRange = "1.27.x";

describe("chooseGoVersion", () => {
  test.each([
    ["nothing stated: the default line", {}, "1.27.4", "no go.mod go line or BP_GO_VERSION: the default 1.27.x"],
    [
      "a go line: the newest patch of its line",
      { file: { name: "go.mod", go: "1.26" } },
      "1.26.11",
      "go.mod's go line 1.26: the newest 1.26 patch",
    ],
    [
      "a go line with a patch below ours",
      { file: { name: "go.mod", go: "1.26.3" } },
      "1.26.11",
      "go.mod's go line 1.26.3: the newest 1.26 patch",
    ],
    [
      "a go line whose line is gone: the newest above it",
      { file: { name: "go.mod", go: "1.21" } },
      "1.27.4",
      "go.mod's go line 1.21 is a minimum and the inventory has no 1.21 release at or above it; Go 1.27 builds the module at language version 1.21",
    ],
    [
      "a go line newer than the line's newest patch here",
      { file: { name: "go.mod", go: "1.26.12" } },
      "1.27.4",
      "go.mod's go line 1.26.12 is a minimum and the inventory has no 1.26 release at or above it; Go 1.27 builds the module at language version 1.26",
    ],
    [
      "a toolchain line wins over the go line",
      { file: { name: "go.mod", go: "1.25", toolchain: "1.26.2" } },
      "1.26.11",
      "go.mod's toolchain line go1.26.2: the newest 1.26 patch",
    ],
    [
      "a toolchain line the inventory can't meet falls back to the go line",
      { file: { name: "go.mod", go: "1.25", toolchain: "1.26.99" } },
      "1.25.14",
      "go.mod's go line 1.25: the newest 1.25 patch",
    ],
    [
      "go.work's lines",
      { file: { name: "go.work", go: "1.26" } },
      "1.26.11",
      "go.work's go line 1.26: the newest 1.26 patch",
    ],
    [
      "BP_GO_VERSION as a line",
      { setting: "1.25", file: { name: "go.mod", go: "1.27" } },
      "1.25.14",
      'BP_GO_VERSION "1.25"',
    ],
    ["BP_GO_VERSION with a go prefix and a range", { setting: "go~1.26" }, "1.26.11", 'BP_GO_VERSION "go~1.26"'],
    ["BP_GO_VERSION exact", { setting: "1.27.4" }, "1.27.4", 'BP_GO_VERSION "1.27.4"'],
  ])("%s", (_, inputs, version, reason) => {
    expect(chooseGoVersion({ defaultRange, available, ...inputs })).toEqual({ version, reason });
  });

  test.each([
    [{ setting: "1.19" }, 'BP_GO_VERSION "1.19" matches no Go version in the inventory (1.27.4, 1.26.11, 1.25.14)'],
    [{ setting: "latest" }, 'BP_GO_VERSION "latest" matches no Go version in the inventory (1.27.4, 1.26.11, 1.25.14)'],
    [
      { file: { name: "go.mod", go: "1.28" } },
      "go.mod: go 1.28 is newer than every Go in the inventory (newest: 1.27.4)",
    ],
  ])("%o fails in one line with a hint", (inputs, message) => {
    let err: unknown;
    try {
      chooseGoVersion({ defaultRange, available, ...inputs });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe(message);
    expect((err as { hint?: string }).hint).toBeTruthy();
  });

  test.each([
    ["1.22", "1.22.0"],
    ["1.22.3", "1.22.3"],
    ["1.23rc1", "1.23.0-rc1"],
  ])("semverOf(%s) is %s", (go, sv) => expect(semverOf(go)).toBe(sv));
});
