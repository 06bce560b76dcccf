import { describe, expect, test } from "vitest";
import { parseRecord, platformTags, swapWheel } from "./wheel-swap.js";

const crlf = (lines: string[]) => lines.map((l) => `${l}\r\n`).join("");
const DI = "markupsafe-3.0.4.dist-info";

/** RECORD as pip 26.3 wrote it installing markupsafe 3.0.4's x86_64 wheel (hashes shortened). */
const installed = crlf([
  `${DI}/INSTALLER,sha256=inst,4`,
  `${DI}/METADATA,sha256=meta,2690`,
  `${DI}/RECORD,,`,
  `${DI}/REQUESTED,sha256=req,0`,
  `${DI}/WHEEL,sha256=wheel-x86,190`,
  "markupsafe/__init__.py,sha256=init,13354",
  "markupsafe/__pycache__/__init__.cpython-313.pyc,,",
  "markupsafe/_speedups.cpython-313-x86_64-linux-gnu.so,sha256=so-x86,43920",
]);

/** The aarch64 wheel's own RECORD, in the wheel's order. */
const arm = crlf([
  "markupsafe/__init__.py,sha256=init,13354",
  "markupsafe/_speedups.cpython-313-aarch64-linux-gnu.so,sha256=so-arm,230848",
  `${DI}/METADATA,sha256=meta,2690`,
  `${DI}/WHEEL,sha256=wheel-arm,193`,
  `${DI}/RECORD,,`,
]);

describe("swapWheel", () => {
  test("swaps the files whose rows differ, and their rows, keeping pip's own rows and its order", () => {
    const swap = swapWheel(DI, installed, arm);
    expect(swap).toEqual({
      remove: ["markupsafe/_speedups.cpython-313-x86_64-linux-gnu.so"],
      add: ["markupsafe/_speedups.cpython-313-aarch64-linux-gnu.so", `${DI}/WHEEL`],
      // What pip wrote installing the aarch64 wheel under qemu, in its order.
      record: crlf([
        `${DI}/INSTALLER,sha256=inst,4`,
        `${DI}/METADATA,sha256=meta,2690`,
        `${DI}/RECORD,,`,
        `${DI}/REQUESTED,sha256=req,0`,
        `${DI}/WHEEL,sha256=wheel-arm,193`,
        "markupsafe/__init__.py,sha256=init,13354",
        "markupsafe/__pycache__/__init__.cpython-313.pyc,,",
        "markupsafe/_speedups.cpython-313-aarch64-linux-gnu.so,sha256=so-arm,230848",
      ]),
    });
  });

  test("refuses a .py that differs (its .pyc would too), a script, a .data dir and a quoted row", () => {
    const otherPy = arm.replace("sha256=init,13354", "sha256=init-arm,13360");
    expect(swapWheel(DI, installed, otherPy)).toEqual({
      not: "markupsafe/__init__.py differs between the two wheels (its .pyc would too)",
    });
    const script = installed + crlf(["../../../bin/markup,sha256=s,120"]);
    expect(swapWheel(DI, script, arm)).toEqual({
      not: `${DI} installs ../../../bin/markup outside site-packages (a script)`,
    });
    const data = arm + crlf(["markupsafe-3.0.4.data/scripts/x,sha256=x,1"]);
    expect(swapWheel(DI, installed, data)).toMatchObject({ not: expect.stringContaining(".data") });
    expect(parseRecord('"a,b.py",sha256=x,1\r\n')).toMatchObject({ not: expect.stringContaining("quoting") });
  });
});

describe("platformTags", () => {
  test("aarch64: manylinux_2_N down to 2_17, manylinux2014 after it, then linux", () => {
    expect(platformTags("arm64", 19)).toEqual([
      "manylinux_2_19_aarch64",
      "manylinux_2_18_aarch64",
      "manylinux_2_17_aarch64",
      "manylinux2014_aarch64",
      "linux_aarch64",
    ]);
  });

  test("x86_64: down to 2_5, with the manylinux2014, 2010 and 1 aliases after their versions", () => {
    const tags = platformTags("amd64", 41);
    expect(tags[0]).toBe("manylinux_2_41_x86_64");
    expect(tags.slice(tags.indexOf("manylinux_2_17_x86_64"), tags.indexOf("manylinux_2_17_x86_64") + 2)).toEqual([
      "manylinux_2_17_x86_64",
      "manylinux2014_x86_64",
    ]);
    expect(tags.slice(-4)).toEqual([
      "manylinux_2_6_x86_64",
      "manylinux_2_5_x86_64",
      "manylinux1_x86_64",
      "linux_x86_64",
    ]);
    expect(tags).toContain("manylinux2010_x86_64");
  });
});
