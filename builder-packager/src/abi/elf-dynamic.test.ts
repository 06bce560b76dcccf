import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { readElfDynamic } from "./elf-dynamic.js";

/** The libraries this Node process has loaded, by soname-ish file name (libc.so.6 → its path). */
function loaded(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync("/proc/self/maps", "utf8").split("\n")) {
    const path = line.split(/\s+/)[5];
    if (path?.includes(".so")) out.set(path.slice(path.lastIndexOf("/") + 1), path);
  }
  return out;
}

/** readelf's view of the same file, to hold the reader to: NEEDED, SONAME, version needs and definitions. */
function readelf(file: string) {
  const d = spawnSync("readelf", ["-d", "-W", file], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 }).stdout;
  const v = spawnSync("readelf", ["-V", "-W", file], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }).stdout;
  const needSection = v.split("Version needs section")[1] ?? "";
  const defSection = (v.split("Version definition section")[1] ?? "").split("Version needs section")[0] ?? "";
  return {
    needed: [...d.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1]),
    soname: /\(SONAME\)\s+Library soname: \[(.+?)\]/.exec(d)?.[1],
    needs: [...needSection.matchAll(/Name: (\S+)/g)].map((m) => m[1]).sort(),
    defs: [...defSection.matchAll(/Name: (\S+)/g)].map((m) => m[1]),
  };
}

const hasReadelf = spawnSync("readelf", ["--version"]).status === 0;
const libc = loaded().get("libc.so.6");

test.runIf(hasReadelf)("node's needs read as readelf reads them: libc.so.6 at GLIBC_ versions, no soname", () => {
  const node = readElfDynamic(readFileSync(process.execPath))!;
  const want = readelf(process.execPath);
  expect(node.needed).toEqual(want.needed);
  expect(node.soname).toBeUndefined();
  expect(node.versionNeeds.flatMap((n) => n.versions).sort()).toEqual(want.needs);
  expect(node.versionNeeds.find((n) => n.file === "libc.so.6")?.versions.some((v) => v.startsWith("GLIBC_2."))).toBe(
    true,
  );
  expect(node.machine).toBe(process.arch === "arm64" ? 183 : 62);
});

test.runIf(hasReadelf && libc !== undefined)(
  "libc.so.6 names itself and defines its GLIBC_ versions, the base entry left out",
  () => {
    const got = readElfDynamic(readFileSync(libc!))!;
    const want = readelf(libc!);
    expect(got.soname).toBe("libc.so.6");
    // readelf lists the base entry (the soname) first; the reader leaves it out.
    expect(want.defs[0]).toBe("libc.so.6");
    expect(got.versionDefs).toEqual(want.defs.slice(1));
    expect(got.versionDefs).toContain("GLIBC_2.34");
  },
);

test.runIf(hasReadelf)("every shared library this process loaded reads the same as with readelf", () => {
  for (const [name, path] of loaded()) {
    const got = readElfDynamic(readFileSync(path))!;
    const want = readelf(path);
    expect({ name, needed: got.needed, soname: got.soname }).toEqual({
      name,
      needed: want.needed,
      soname: want.soname,
    });
    expect(got.versionNeeds.flatMap((n) => n.versions).sort()).toEqual(want.needs);
  }
});

test("a file that is not ELF, and a static one, need nothing", () => {
  expect(readElfDynamic(Buffer.from("#!/bin/sh\necho hi\n"))).toBeUndefined();
  const header = Buffer.alloc(64);
  header.write("\x7fELF", 0, "latin1");
  header[4] = 2;
  header[5] = 1;
  expect(readElfDynamic(header)).toBeUndefined();
});
