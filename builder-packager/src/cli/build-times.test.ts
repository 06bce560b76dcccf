/** The timing block `cnbkit build` ends with, and when the lifecycle may colour its output. */
import { expect, test } from "vitest";
import { buildTimes } from "./build-times.js";
import { wantsColor } from "./color.js";

test("the timing block lists each phase in the order it ran, then the total, times aligned", () => {
  expect(
    buildTimes(
      [
        { phase: "analyze", ms: 312 },
        { phase: "detect", ms: 1100 },
        { phase: "restore", ms: 45 },
        { phase: "build", ms: 35_020 },
        { phase: "export", ms: 4630 },
      ],
      42_300,
    ),
  ).toEqual([
    "Timing",
    "  analyze  312ms",
    "  detect    1.1s",
    "  restore   45ms",
    "  build    35.0s",
    "  export    4.6s",
    "  total    42.3s",
  ]);
  expect(buildTimes([], 900)).toEqual(["Timing", "  total  900ms"]);
});

test("colour only on a terminal without NO_COLOR", () => {
  expect(wantsColor({ isTTY: true }, {})).toBe(true);
  expect(wantsColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
  expect(wantsColor({ isTTY: false }, {})).toBe(false);
  expect(wantsColor({}, {})).toBe(false);
});
