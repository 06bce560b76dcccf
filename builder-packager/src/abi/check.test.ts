import { expect, test } from "vitest";
import { abiGaps, gapText } from "./check.js";
import { needsOf, providesOf } from "./combine.js";
import { type LayerAbi, addElfFile, emptyLayerAbi } from "./layer-scan.js";
import { abiLabel, parseAbiLabel } from "./records.js";
import { compareVersions, splitVersionName } from "./symbol-version.js";

const X86 = 62;

/** A layer holding `files`, each an ELF file's dynamic facts. */
function layer(files: Record<string, Parameters<typeof addElfFile>[2]>): LayerAbi {
  const abi = emptyLayerAbi();
  for (const [path, elf] of Object.entries(files)) addElfFile(abi, path, elf, X86);
  return abi;
}

const elf = (over: Partial<Parameters<typeof addElfFile>[2]>) => ({
  machine: X86,
  needed: [],
  versionNeeds: [],
  versionDefs: [],
  ...over,
});

/** A run image whose libc defines GLIBC_2.2.5 ... GLIBC_2.<newest>. */
function runImage(newest: number, more: Record<string, Parameters<typeof addElfFile>[2]> = {}) {
  const defs = ["GLIBC_2.2.5", ...Array.from({ length: newest - 2 }, (_, i) => `GLIBC_2.${i + 3}`), "GLIBC_PRIVATE"];
  return providesOf([
    layer({ "/usr/lib/x86_64-linux-gnu/libc.so.6": elf({ soname: "libc.so.6", versionDefs: defs }), ...more }),
  ]);
}

test("version names split into family and number, and numbers compare as numbers", () => {
  expect(splitVersionName("GLIBC_2.2.5")).toEqual({ family: "GLIBC", version: "2.2.5" });
  expect(splitVersionName("GLIBCXX_3.4.32")).toEqual({ family: "GLIBCXX", version: "3.4.32" });
  expect(splitVersionName("GLIBC_PRIVATE")).toBeUndefined();
  expect(["2.38", "2.9", "2.2.5", "2.38.1"].sort(compareVersions)).toEqual(["2.2.5", "2.9", "2.38", "2.38.1"]);
});

test("an app's needs keep the newest version per library and the first file; what its own layers hold is left out", () => {
  const needs = needsOf([
    layer({
      "/layers/py/bin/python3": elf({
        needed: ["libc.so.6", "libpython3.13.so.1.0", "libz.so.1"],
        versionNeeds: [{ file: "libc.so.6", versions: ["GLIBC_2.2.5", "GLIBC_2.38"] }],
      }),
      "/layers/py/lib/libpython3.13.so.1.0": elf({
        soname: "libpython3.13.so.1.0",
        needed: ["libc.so.6"],
        versionNeeds: [{ file: "libc.so.6", versions: ["GLIBC_2.34"] }],
      }),
    }),
    layer({
      "/workspace/a.node": elf({
        needed: ["libc.so.6"],
        versionNeeds: [{ file: "libc.so.6", versions: ["GLIBC_2.38"] }],
      }),
      // A prebuilt addon for another CPU, and a musl one: never loaded here.
      "/workspace/arm64.node": elf({ machine: 183, needed: ["libfoo.so"] }),
      "/workspace/musl.node": elf({ needed: ["libc.musl-x86_64.so.1"] }),
    }),
  ]);
  expect(needs).toEqual({
    schema: 1,
    sonames: { "libc.so.6": "/layers/py/bin/python3", "libz.so.1": "/layers/py/bin/python3" },
    versions: { "libc.so.6": { GLIBC: { version: "2.38", file: "/layers/py/bin/python3" } } },
  });
  // The label is the same bytes however the layers were ordered, and reads back.
  expect(abiLabel(needs)).toBe(abiLabel(parseAbiLabel(abiLabel(needs))!));
});

test("Debian 12's glibc lacks GLIBC_2.38: one gap naming it, what the run image has, and the file", () => {
  const needs = needsOf([
    layer({
      "/layers/py/bin/python3": elf({
        needed: ["libc.so.6"],
        versionNeeds: [{ file: "libc.so.6", versions: ["GLIBC_2.38"] }],
      }),
    }),
  ]);
  expect(runImage(36).glibc).toBe("2.36");
  const gaps = abiGaps(needs, runImage(36));
  expect(gaps.map(gapText)).toEqual([
    "needs GLIBC_2.38 (libc.so.6), the run image has GLIBC_2.36, for /layers/py/bin/python3",
  ]);
  expect(abiGaps(needs, runImage(41))).toEqual([]);
});

test("a soname the new run image lacks is a gap; one the old run image lacked too is only reported", () => {
  const needs = needsOf([
    layer({ "/layers/app/bin/app": elf({ needed: ["libc.so.6", "libpq.so.5", "libX11.so.6"] }) }),
  ]);
  const old = runImage(41, { "/usr/lib/x86_64-linux-gnu/libpq.so.5": elf({ soname: "libpq.so.5" }) });
  const gaps = abiGaps(needs, runImage(41), old);
  expect(gaps).toEqual([
    { what: "soname libpq.so.5", file: "/layers/app/bin/app" },
    { what: "soname libX11.so.6", file: "/layers/app/bin/app", alreadyMissing: true },
  ]);
  expect(gapText(gaps[0]!)).toBe("needs soname libpq.so.5, which the run image lacks, for /layers/app/bin/app");
});
