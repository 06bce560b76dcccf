import { expect, test } from "vitest";
import { decideCgo } from "./cgo.js";

test.each([
  [{ cgoPackages: [], compiler: true }, false, "no package outside the standard library uses cgo: static binaries"],
  [
    { cgoPackages: ["github.com/mattn/go-sqlite3"], compiler: true },
    true,
    "github.com/mattn/go-sqlite3 uses cgo: CGO_ENABLED=1 (the binary links the run image's glibc: use the standard run image, not tiny)",
  ],
  [{ setting: "0", cgoPackages: ["a"], compiler: true }, false, "CGO_ENABLED=0 from the build env"],
  [{ setting: "1", cgoPackages: [], compiler: true }, true, "CGO_ENABLED=1 from the build env"],
])("%o", (inputs, enabled, reason) => {
  expect(decideCgo(inputs)).toEqual({ enabled, reason });
});

test("cgo without a compiler: built without, with a warning naming the packages", () => {
  const d = decideCgo({ cgoPackages: ["a", "b", "c", "d"], compiler: false });
  expect(d.enabled).toBe(false);
  expect(d.reason).toBe("a, b, c and 1 more uses cgo, but the build image has no C compiler: built without cgo");
  expect(d.warning).toMatch(/^a, b, c and 1 more may not work without cgo/);
});
