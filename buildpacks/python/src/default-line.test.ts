import { describe, expect, test } from "vitest";
import { describeCap, orderForDefaultLine, preferDefaultLine } from "./default-line.js";
import type { VersionRequest } from "./python-version.js";

const AVAILABLE = ["3.11.2", "3.13.5", "3.14.10", "3.15.2"];
const range = (raw: string, source = "pyproject.toml requires-python"): VersionRequest => ({
  source,
  raw,
  specifier: raw,
});

describe("a range starts from the default line", () => {
  test("an open range is capped at the default line, and says what else it allows", () => {
    const r = range(">=3.10");
    expect(preferDefaultLine(r, AVAILABLE, "3.13.x")).toEqual({ available: ["3.11.2", "3.13.5"], capped: "3.13" });
    expect(describeCap(r, "3.13", AVAILABLE)).toBe(
      'pyproject.toml requires-python ">=3.10" also allows 3.15 and 3.14: using the default line 3.13 (name a newer line in .python-version to build on it)',
    );
  });

  test("a range the default line does not meet, a line pin and the default itself are left alone", () => {
    expect(preferDefaultLine(range(">=3.14"), AVAILABLE, "3.13.x")).toEqual({ available: AVAILABLE });
    expect(preferDefaultLine(range("==3.14.*", ".python-version"), AVAILABLE, "3.13.x")).toEqual({
      available: AVAILABLE,
    });
    expect(preferDefaultLine(range("<3.13"), AVAILABLE, "3.13.x")).toEqual({ available: AVAILABLE });
    const dflt: VersionRequest = { source: "default", raw: "3.13.x", specifier: "==3.13.*" };
    expect(preferDefaultLine(dflt, AVAILABLE, "3.13.x")).toEqual({ available: AVAILABLE });
  });

  test("the lock's wheels try the older lines first, then the newer ones oldest first", () => {
    expect(orderForDefaultLine(["3.13.5", "3.15.2", "3.14.10", "3.11.2"], "3.13")).toEqual([
      "3.13.5",
      "3.11.2",
      "3.14.10",
      "3.15.2",
    ]);
    expect(orderForDefaultLine(["3.15.2", "3.14.10"], undefined)).toEqual(["3.15.2", "3.14.10"]);
  });
});
