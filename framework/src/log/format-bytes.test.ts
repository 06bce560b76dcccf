import { expect, test } from "vitest";
import { formatBytes } from "./format-bytes.js";

test("formatBytes uses binary units: whole KiB, one decimal above", () => {
  expect(formatBytes(0)).toBe("0 B");
  expect(formatBytes(1023)).toBe("1023 B");
  expect(formatBytes(1024)).toBe("1 KiB");
  expect(formatBytes(60_000)).toBe("59 KiB");
  expect(formatBytes(85 * 1024 * 1024)).toBe("85.0 MiB");
  expect(formatBytes(1.2 * 1024 ** 3)).toBe("1.2 GiB");
  expect(formatBytes(3 * 1024 ** 4)).toBe("3.0 TiB");
});
