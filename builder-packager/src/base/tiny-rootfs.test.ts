import { execFile } from "node:child_process";
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cnbkitCacheDir } from "../cache/index.js";
import { main } from "../cli/index.js";
import { readDpkgPackages } from "./dpkg-status.js";
import { OciLayout } from "../oci/index.js";
import { baseImagesKey, baseRootfsSpecs, ensureBaseImages, type ImageRef, writeBaseImage } from "./images.js";
import { TINY_RUN_PACKAGES } from "./packages.js";
import { keptStanzas } from "./tiny-rootfs.js";

const exec = promisify(execFile);

const STATUS = `Package: libc6
Status: install ok installed
Version: 2.41-12

Package: dash
Essential: yes
Status: install ok installed
Version: 0.5.12-12

Package: gone
Status: deinstall ok config-files
Version: 1
`;

describe("keptStanzas", () => {
  test("keeps the installed stanzas of the kept packages, in the status file's order", () => {
    expect(keptStanzas(STATUS, ["libc6"])).toBe("Package: libc6\nStatus: install ok installed\nVersion: 2.41-12\n");
  });

  test("a package that is not installed is one line naming it", () => {
    expect(() => keptStanzas(STATUS, ["libc6", "gone", "nope"])).toThrow(
      /^tiny rootfs: gone, nope not installed in the run rootfs it is cut from$/,
    );
  });
});

describe("the tiny flavour", () => {
  let work = "";
  let tiny: { build: ImageRef; run: ImageRef };
  let standard: { build: ImageRef; run: ImageRef };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "cnbkit-tiny-test-"));
    // Slow the first time on a machine (debootstrap of both rootfs); the cache makes it fast after.
    standard = await ensureBaseImages({ onProgress: () => {} });
    tiny = await ensureBaseImages({ flavor: "tiny", onProgress: () => {} });
  }, 3_600_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("the build image is the standard one; the run image has its own layout, key and labels", async () => {
    expect(tiny.build.digest).toBe(standard.build.digest);
    expect(baseImagesKey(undefined, "amd64", "tiny")).not.toBe(baseImagesKey(undefined, "amd64", "standard"));
    expect(baseRootfsSpecs("amd64", "tiny").run.tiny).toEqual([...TINY_RUN_PACKAGES]);
    const { stdout } = await exec("skopeo", ["inspect", "--config", tiny.run.ref]);
    const config = JSON.parse(stdout).config;
    expect(config.User).toBe("1000:1000");
    expect(config.Labels).toMatchObject({
      "io.buildpacks.base.id": "io.cnbkit.base.trixie",
      "io.buildpacks.stack.id": "io.cnbkit.base.trixie",
      "io.buildpacks.base.distro.version": "13",
    });
    const meta = JSON.parse(config.Labels["io.buildpacks.base.metadata"]);
    expect(meta).toMatchObject({ flavor: "tiny", packages: [...TINY_RUN_PACKAGES].sort() });
  });

  test("unpacked, it has no shell, coreutils, apt or dpkg; it has the CA bundle, time zones, the cnb user and its home", async () => {
    const dir = join(work, "unpacked");
    await exec("umoci", ["unpack", "--image", `${tiny.run.layout}:run`, dir], { maxBuffer: 64 << 20 });
    const rootfs = join(dir, "rootfs");
    for (const gone of [
      "bin/sh",
      "bin/bash",
      "bin/dash",
      "bin/ls",
      "bin/cat",
      "usr/bin/dpkg",
      "usr/bin/apt",
      "sbin/ldconfig",
    ]) {
      await expect(lstat(join(rootfs, gone)), gone).rejects.toThrow(/ENOENT/);
    }
    expect((await stat(join(rootfs, "etc/ssl/certs/ca-certificates.crt"))).size).toBeGreaterThan(100_000);
    expect((await stat(join(rootfs, "usr/share/zoneinfo/Europe/Berlin"))).isFile()).toBe(true);
    expect(await readFile(join(rootfs, "etc/passwd"), "utf8")).toContain("cnb:x:1000:1000:");
    expect(await readFile(join(rootfs, "etc/group"), "utf8")).toContain("cnb:x:1000:");
    const home = await stat(join(rootfs, "home/cnb"));
    expect([home.uid, home.gid]).toEqual([1000, 1000]);
    expect((await stat(join(rootfs, "tmp"))).mode & 0o7777).toBe(0o1777);
    // Its dpkg status lists what it kept, and the SBOM layer says the same.
    const kept = (await readDpkgPackages(rootfs)).map((p) => p.name).sort();
    expect(kept).toEqual([...TINY_RUN_PACKAGES].sort());
    const cdx = JSON.parse(await readFile(join(rootfs, "cnb/sbom/sbom.cdx.json"), "utf8"));
    expect(cdx.components.map((c: { name: string }) => c.name).sort()).toEqual(kept);
    console.log(`tiny run image: ${tiny.run.layer.size} bytes gzip (standard run ${standard.run.layer.size})`);
    expect(tiny.run.layer.size).toBeLessThan(standard.run.layer.size / 2);

    // No shell to run: runc starts glibc's loader itself, which finds libstdc++'s libraries as uid 1000.
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    config.process.args = ["/lib64/ld-linux-x86-64.so.2", "--list", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"];
    config.process.terminal = false;
    config.process.user = { uid: 1000, gid: 1000 };
    await writeFile(join(dir, "config.json"), JSON.stringify(config));
    const id = `cnbkit-tiny-test-${process.pid}`;
    try {
      const { stdout } = await exec("runc", ["run", "--bundle", dir, id]);
      for (const lib of ["libm.so.6", "libgcc_s.so.1", "libc.so.6"]) {
        expect(stdout).toMatch(new RegExp(`${lib.replaceAll(".", "\\.")} => /\\S+/${lib.replaceAll(".", "\\.")}`));
      }
    } finally {
      await exec("runc", ["delete", "-f", id]).catch(() => {});
    }
  }, 300_000);

  test("written again into another layout from the same rootfs, the run image has the same digest", async () => {
    // Only the run image: the build image is the standard one, reproducible as images.test.ts shows.
    const layout = await OciLayout.create(join(work, "again"));
    const desc = await writeBaseImage(layout, "run", tiny.run.rootfs ?? "", baseRootfsSpecs("amd64", "tiny").run);
    expect(desc.digest).toBe(tiny.run.digest);
  }, 300_000);

  test("a new tiny layout copies the cached standard build layer instead of packing the build rootfs again", async () => {
    // A cache of its own that shares the rootfs trees and the standard layout, not the tiny one.
    const cacheDir = join(work, "copy-cache");
    await mkdir(join(cacheDir, "base"), { recursive: true });
    await symlink(join(cnbkitCacheDir(), "rootfs"), join(cacheDir, "rootfs"));
    await symlink(standard.build.layout, join(cacheDir, "base", basename(standard.build.layout)));
    const lines: string[] = [];
    const fresh = await ensureBaseImages({ flavor: "tiny", cacheDir, onProgress: (l) => lines.push(l) });
    expect(lines.filter((l) => /debootstrap|Cutting the tiny|build layer:/.test(l))).toEqual([]);
    expect(lines.filter((l) => /run layer:/.test(l))).toHaveLength(1);
    expect(fresh.build.digest).toBe(standard.build.digest);
    expect(fresh.run.digest).toBe(tiny.run.digest);
  }, 300_000);

  test("base create --flavor tinny is one line naming the flavours", async () => {
    const err: string[] = [];
    const code = await main(["base", "create", "--flavor", "tinny"], {
      out: () => {},
      err: (l: string) => err.push(l),
    });
    expect(code).not.toBe(0);
    expect(err.join("\n")).toMatch(/^error: --flavor "tinny" is not standard, slim or tiny$/m);
    expect(err.join("\n")).not.toMatch(/\bat \S+:\d+/);
  });
});
