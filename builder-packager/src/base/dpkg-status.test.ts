import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { copyrightLicenses, debianPurl, parseControlStanzas, readDpkgPackages } from "./dpkg-status.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function rootfs(files: Record<string, string>, links: Record<string, string> = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "cnbkit-dpkg-"));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), text);
  }
  for (const [path, target] of Object.entries(links)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await symlink(target, join(root, path));
  }
  return root;
}

const STATUS = `Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.41-12
Description: GNU C Library: Shared libraries
 Contains the standard libraries.

Package: libstdc++6
Status: install ok installed
Architecture: amd64
Source: gcc-14 (14.2.0-18)
Version: 14.2.0-19

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2025b-4+deb13u1
`;

const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: thing

Files: *
Copyright: someone
License: GPL-2+ or LGPL-2.1+
 long text

Files: debian/*
License: Expat

License: Expat
 Permission is hereby granted
`;

describe("control files", () => {
  test("stanzas join continuation lines and lower-case field names", () => {
    const [first] = parseControlStanzas(STATUS);
    expect(first?.get("package")).toBe("libc6");
    expect(first?.get("description")).toBe("GNU C Library: Shared libraries\nContains the standard libraries.");
  });

  test("DEP-5 licences are mapped to SPDX ids, split on or/and, deduplicated", () => {
    expect(copyrightLicenses(DEP5)).toEqual(["GPL-2.0-or-later", "LGPL-2.1-or-later", "MIT"]);
  });

  test("a copyright file in prose (no Format: line) yields no licence rather than a guess", () => {
    expect(copyrightLicenses("This package was debianized by someone.\n\nLicense: GPL\n")).toEqual([]);
  });
});

describe("readDpkgPackages", () => {
  test("only installed packages, with source, arch and licences; doc symlinks resolve inside the rootfs", async () => {
    const root = await rootfs(
      { "var/lib/dpkg/status": STATUS, "usr/share/doc/gcc-14-base/copyright": DEP5 },
      // libstdc++6's doc dir is a link to gcc-14-base's (as in Debian); an absolute target
      // must resolve inside the rootfs, never on the host.
      { "usr/share/doc/libstdc++6": "/usr/share/doc/gcc-14-base", "usr/share/doc/libc6": "gcc-14-base" },
    );
    const pkgs = await readDpkgPackages(root);
    expect(pkgs.map((p) => p.name)).toEqual(["libc6", "libstdc++6", "tzdata"]);
    expect(pkgs[0]).toMatchObject({
      source: "glibc",
      arch: "amd64",
      licenses: ["GPL-2.0-or-later", "LGPL-2.1-or-later", "MIT"],
    });
    expect(pkgs[1]).toMatchObject({
      source: "gcc-14",
      sourceVersion: "14.2.0-18",
      licenses: ["GPL-2.0-or-later", "LGPL-2.1-or-later", "MIT"],
    });
    expect(pkgs[2]?.licenses).toEqual([]);
  });

  test("purls carry arch, upstream and distro as syft writes them", () => {
    const base = { name: "libstdc++6", version: "14.2.0-19", arch: "amd64", licenses: [] };
    expect(debianPurl({ ...base, source: "gcc-14" }, "13")).toBe(
      "pkg:deb/debian/libstdc%2B%2B6@14.2.0-19?arch=amd64&upstream=gcc-14&distro=debian-13",
    );
    expect(debianPurl({ ...base, name: "tzdata", source: "tzdata", version: "1:2025b" }, "12")).toBe(
      "pkg:deb/debian/tzdata@1%3A2025b?arch=amd64&distro=debian-12",
    );
  });

  test.runIf(existsSync("/var/lib/dpkg/status"))(
    "this machine's own packages: the same count dpkg-query gives",
    async () => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} syntax
      const installed = execFileSync("dpkg-query", ["-W", "-f", "${db:Status-Abbrev} ${Package}\\n"], {
        encoding: "utf8",
      })
        .split("\n")
        .filter((l) => l.startsWith("ii "));
      const pkgs = await readDpkgPackages("/");
      expect(pkgs.length).toBe(installed.length);
      expect(pkgs.find((p) => p.name === "zlib1g")?.licenses).toContain("Zlib");
    },
  );
});
