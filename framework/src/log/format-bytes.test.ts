import { expect, test } from "vitest";
import { formatBytes, parseBytes } from "./format-bytes.js";

test("formatBytes uses binary units: whole KiB, one decimal above", () => {
  expect(formatBytes(0)).toBe("0 B");
  expect(formatBytes(1023)).toBe("1023 B");
  expect(formatBytes(1024)).toBe("1 KiB");
  expect(formatBytes(60_000)).toBe("59 KiB");
  expect(formatBytes(85 * 1024 * 1024)).toBe("85.0 MiB");
  expect(formatBytes(1.2 * 1024 ** 3)).toBe("1.2 GiB");
  expect(formatBytes(3 * 1024 ** 4)).toBe("3.0 TiB");
});

test("parseBytes reads Docker-style sizes with binary units, and nothing else", () => {
  expect(parseBytes("512m")).toBe(512 * 1024 ** 2);
  expect(parseBytes("512MiB")).toBe(512 * 1024 ** 2);
  expect(parseBytes("1G")).toBe(1024 ** 3);
  expect(parseBytes("1.5g")).toBe(1.5 * 1024 ** 3);
  expect(parseBytes("2048")).toBe(2048);
  expect(parseBytes("10 KB")).toBe(10 * 1024);
  for (const bad of ["", "m", "-1g", "512x", "1e9", "12 mb extra"]) expect(parseBytes(bad)).toBeUndefined();
});
