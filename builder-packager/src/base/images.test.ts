import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ABI_PROVIDES_LABEL, layersProvides, parseAbiLabel, runImageProvides } from "../abi/index.js";
import type { AbiProvides } from "../abi/index.js";
import { cnbkitCacheDir } from "../cache/index.js";
import { OciLayout, openImageSource } from "../oci/index.js";
import { main } from "../cli/index.js";
import { readDpkgPackages } from "./dpkg-status.js";
import { baseImagesKey, baseRootfsSpecs, ensureBaseImages, type ImageRef } from "./images.js";

const exec = promisify(execFile);

/** What the run image's libraries must answer to: CPython 3.11's extension modules, the JDK's, Node's. */
const RUN_SONAMES = [
  "libssl.so.3",
  "libcrypto.so.3",
  "libz.so.1",
  "libsqlite3.so.0",
  "libffi.so.8",
  "libexpat.so.1",
  "libncursesw.so.6",
  "libtinfo.so.6",
  "libreadline.so.8",
  "libbz2.so.1.0",
  "liblzma.so.5",
  "libuuid.so.1",
  "libdb-5.3.so",
  "libcrypt.so.1",
  "libnsl.so.2",
  "libtirpc.so.3",
  "libjpeg.so.62",
  "liblcms2.so.2",
  "libstdc++.so.6",
  "libgcc_s.so.1",
  "libatomic.so.1",
  "libmpdec.so.4",
  // psycopg2 built from source in the build image links it.
  "libpq.so.5",
];

let images: { build: ImageRef; run: ImageRef };
let work: string;

beforeAll(async () => {
  // Slow the first time on a machine (debootstrap of both rootfs); the cache makes it fast after.
  images = await ensureBaseImages();
  work = await mkdtemp(join(tmpdir(), "cnbkit-base-test-"));
}, 3_600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Unpacks a tag with umoci into a fresh runc bundle and sets what the container runs. */
async function bundle(image: ImageRef, name: string, args: string[], cwd = "/"): Promise<string> {
  const dir = join(work, name);
  await exec("umoci", ["unpack", "--image", `${image.layout}:${image.tag}`, dir], { maxBuffer: 64 << 20 });
  const configPath = join(dir, "config.json");
  const config = JSON.parse(await readFile(configPath, "utf8"));
  config.process.args = args;
  config.process.terminal = false;
  config.process.user = { uid: 1000, gid: 1000 };
  config.process.cwd = cwd;
  await writeFile(configPath, JSON.stringify(config));
  return dir;
}

/** Runs a bundle with runc to completion and removes the container. */
async function runc(dir: string): Promise<string> {
  const id = `cnbkit-base-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const { stdout } = await exec("runc", ["run", "--bundle", dir, id], { maxBuffer: 16 << 20 });
    return stdout;
  } finally {
    await exec("runc", ["delete", "-f", id]).catch(() => {});
  }
}

describe("ensureBaseImages", () => {
  test("the run image carries the CNB platform spec's user, env and labels (skopeo reads it)", async () => {
    const { stdout } = await exec("skopeo", ["inspect", `oci:${images.run.layout}:run`]);
    const info = JSON.parse(stdout);
    expect(info.Os).toBe("linux");
    expect(info.Architecture).toBe("amd64");
    expect(info.Digest).toBe(images.run.digest);
    expect(info.Layers).toHaveLength(2); // the rootfs, then the SBOM of its Debian packages
    expect(info.Layers[0]).toBe(images.run.layer.digest);
    expect(info.Env).toEqual(
      expect.arrayContaining([
        "CNB_USER_ID=1000",
        "CNB_GROUP_ID=1000",
        expect.stringMatching(/^PATH=\/usr\/local\/sbin:/),
      ]),
    );
    expect(info.Labels).toMatchObject({
      "io.buildpacks.base.id": "io.cnbkit.base.trixie",
      "io.buildpacks.base.distro.name": "debian",
      "io.buildpacks.base.distro.version": "13",
      "io.buildpacks.base.maintainer": "cnbkit",
      "io.buildpacks.stack.distro.version": "13",
      "io.buildpacks.stack.id": "io.cnbkit.base.trixie",
    });
    const { stdout: raw } = await exec("skopeo", ["inspect", "--config", `oci:${images.run.layout}:run`]);
    expect(JSON.parse(raw).config.User).toBe("1000:1000");
  });

  test("the build image has the same user and ids plus CNB_STACK_ID", async () => {
    const { stdout } = await exec("skopeo", ["inspect", "--config", `oci:${images.build.layout}:build`]);
    const config = JSON.parse(stdout).config;
    expect(config.User).toBe("1000:1000");
    expect(config.Env).toEqual(
      expect.arrayContaining(["CNB_USER_ID=1000", "CNB_GROUP_ID=1000", "CNB_STACK_ID=io.cnbkit.base.trixie"]),
    );
    expect(config.Labels["io.buildpacks.base.distro.version"]).toBe("13");
    expect(images.build.digest).not.toBe(images.run.digest);
  });

  test("umoci unpacks the run image to a rootfs with the cnb user, its home and CA certificates; runc runs it as uid 1000", async () => {
    const dir = await bundle(images.run, "run", ["/bin/sh", "-c", "id -u; cat /etc/os-release; /sbin/ldconfig -p"]);
    try {
      const rootfs = join(dir, "rootfs");
      expect(await readFile(join(rootfs, "etc/passwd"), "utf8")).toContain("cnb:x:1000:1000:");
      const home = await stat(join(rootfs, "home/cnb"));
      expect([home.uid, home.gid]).toEqual([1000, 1000]);
      expect((await stat(join(rootfs, "etc/ssl/certs/ca-certificates.crt"))).size).toBeGreaterThan(100_000);
      const shadow = await stat(join(rootfs, "etc/shadow"));
      expect(shadow.mode & 0o777).toBe(0o640); // real modes survive the layer, not normalised ones
      expect((await stat(join(rootfs, "usr/bin/su"))).mode & 0o4000).toBe(0o4000);

      const out = await runc(dir);
      expect(out.split("\n")[0]).toBe("1000");
      expect(out).toContain("VERSION_CODENAME=trixie");
      expect(out).toContain('VERSION_ID="13"');
      // The sonames a CPython 3.11 built on Debian 12 (the local builder's) and trixie's OpenJDK
      // link: trixie renamed some packages (t64), not these files.
      const sonames = [...out.matchAll(/^\s+(\S+) \(libc6,x86-64\)/gm)].map((m) => m[1]);
      for (const lib of RUN_SONAMES) expect(sonames, lib).toContain(lib);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);

  test("the build image compiles C as uid 1000 in its writable home, and has git, python3 with distutils (old node-gyp) and curl (hand-written wrappers)", async () => {
    const script = [
      "printf '#include <stdio.h>\\nint main(void){puts(\"hi from gcc\");return 0;}\\n' > hi.c",
      "cc -o hi hi.c && ./hi",
      "git --version",
      "python3 -c 'import sys; print(sys.version_info[0])'",
      // node-gyp 8's gyp: `from distutils.version import StrictVersion`, gone from Python 3.12's stdlib.
      'python3 -c \'from distutils.version import StrictVersion; print("distutils", StrictVersion("1.2") < StrictVersion("1.10"))\'',
      "curl --version",
      "pkg-config --modversion zlib openssl",
      // psycopg2's setup.py asks pg_config for libpq's headers and library.
      "pg_config --version",
      'test -f "$(pg_config --includedir)/libpq-fe.h" && echo libpq-fe.h',
    ].join(" && ");
    const dir = await bundle(images.build, "runc-build", ["/bin/sh", "-c", script], "/home/cnb");
    try {
      const out = await runc(dir);
      expect(out).toContain("hi from gcc");
      expect(out).toMatch(/^git version 2\./m);
      expect(out).toMatch(/^3$/m);
      expect(out).toMatch(/^distutils True$/m);
      expect(out).toMatch(/^curl 8\./m);
      expect(out).toMatch(/^3\.\d+\.\d+$/m); // openssl 3.x headers
      expect(out).toMatch(/^PostgreSQL \d+\./m);
      expect(out).toMatch(/^libpq-fe\.h$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);

  test("every package of both sets is installed (trixie's real names: debootstrap resolves no virtual ones)", async () => {
    for (const role of ["run", "build"] as const) {
      const status = await readFile(join(images[role].rootfs ?? "", "var/lib/dpkg/status"), "utf8");
      const installed = new Set(
        status
          .split("\n\n")
          .filter((s) => /^Status: install ok installed$/m.test(s))
          .map((s) => /^Package: (\S+)$/m.exec(s)?.[1]),
      );
      const missing = baseRootfsSpecs("amd64")[role].packages.filter((p) => !installed.has(p));
      expect(missing, role).toEqual([]);
    }
  });

  test("a second call reuses the cache (no debootstrap) and gives the same digests", async () => {
    const lines: string[] = [];
    const again = await ensureBaseImages({ onProgress: (l) => lines.push(l) });
    expect(lines.filter((l) => /debootstrap|Writing base images/.test(l))).toEqual([]);
    expect(again.build.digest).toBe(images.build.digest);
    expect(again.run.digest).toBe(images.run.digest);
  });

  test("slim: the build image is the run rootfs, one layer packed once; the run image written again has the same digest", async () => {
    const specs = baseRootfsSpecs("amd64", "slim");
    expect(specs.build).toEqual(specs.run);
    expect(baseImagesKey(undefined, "amd64", "slim")).not.toBe(baseImagesKey(undefined, "amd64", "standard"));
    // A cache of its own whose rootfs/ is the shared one: the layout is written here every time
    // (one ~14 s layer), the rootfs is the run rootfs beforeAll made.
    const cacheDir = join(work, "slim-cache");
    await mkdir(cacheDir);
    await symlink(join(cnbkitCacheDir(), "rootfs"), join(cacheDir, "rootfs"));
    const lines: string[] = [];
    const slim = await ensureBaseImages({ flavor: "slim", cacheDir, onProgress: (l) => lines.push(l) });
    expect(lines.filter((l) => /debootstrap/.test(l))).toEqual([]);
    expect(lines.filter((l) => / layer: \d+ entries/.test(l))).toHaveLength(1);
    expect(slim.build.layout).toBe(slim.run.layout);
    expect(slim.build.rootfs).toBe(join(cacheDir, "rootfs", basename(images.run.rootfs ?? "")));
    expect(slim.build.layer).toEqual(slim.run.layer);
    // Reproducible: the run layer, packed again from the same rootfs into a new layout, gives
    // the standard layout's manifest digest (same rootfs recipe, same config).
    expect(slim.run.digest).toBe(images.run.digest);
    const { stdout } = await exec("skopeo", ["inspect", `oci:${slim.build.layout}:build`]);
    const info = JSON.parse(stdout);
    expect(info.Env).toContain("CNB_STACK_ID=io.cnbkit.base.trixie");
    expect(JSON.parse(info.Labels["io.buildpacks.base.metadata"]).packages).toEqual([...specs.run.packages].sort());
  }, 300_000);

  test("the run image records what it provides in io.cnbkit.base.abi, the same as its layers say; a rebase reads the label", async () => {
    const source = await openImageSource(images.run.ref);
    const image = await source.image();
    const label = parseAbiLabel<AbiProvides>(image.config.config?.Labels?.[ABI_PROVIDES_LABEL]);
    expect(label?.glibc).toBe("2.41");
    expect(Object.keys(label?.libraries ?? {})).toEqual(expect.arrayContaining(["libpq.so.5", "libssl.so.3"]));
    const { layers } = image.manifest.manifest;
    const fromLayers = await layersProvides(source, layers, image.config.rootfs.diff_ids, "amd64", {
      cacheDir: join(work, "abi"),
    });
    expect(fromLayers).toEqual(label);
    expect((await runImageProvides(source, image)).from).toBe("label");
    const build = await (await openImageSource(images.build.ref)).image();
    expect(build.config.config?.Labels?.[ABI_PROVIDES_LABEL]).toBeUndefined();
  }, 300_000);

  test("a recipe bump that changes only configs copies the rootfs layers from a cached layout: same layer digests, nothing packed", async () => {
    // A cache whose rootfs/ is the shared one and whose base/ holds the standard layout under
    // another name (hardlinked), as the layout of the previous recipe version sits after a bump.
    const cacheDir = join(work, "bump-cache");
    await mkdir(join(cacheDir, "base"), { recursive: true });
    await symlink(join(cnbkitCacheDir(), "rootfs"), join(cacheDir, "rootfs"));
    await exec("cp", ["-al", images.run.layout, join(cacheDir, "base", "previous-recipe")]);
    const lines: string[] = [];
    const again = await ensureBaseImages({ cacheDir, onProgress: (l) => lines.push(l) });
    expect(lines.filter((l) => / layer: \d+ entries/.test(l))).toEqual([]);
    expect(lines.filter((l) => /layer: the same tree's, copied/.test(l))).toHaveLength(2);
    expect(again.run.layer).toEqual(images.run.layer);
    expect(again.build.layer).toEqual(images.build.layer);
    expect(again.run.digest).toBe(images.run.digest);
  }, 300_000);

  test("output copies both images into another layout that skopeo reads", async () => {
    const output = join(work, "out-layout");
    const copied = await ensureBaseImages({ output, onProgress: () => {} });
    expect(copied.run.layout).toBe(output);
    expect(copied.run.digest).toBe(images.run.digest);
    expect(await (await OciLayout.open(output)).tags()).toEqual(["build", "run"]);
    const { stdout } = await exec("skopeo", ["inspect", `oci:${output}:build`]);
    expect(JSON.parse(stdout).Digest).toBe(images.build.digest);
  }, 300_000);

  test("each image names its SBOM layer in io.buildpacks.base.sbom: CycloneDX and SPDX of every installed Debian package", async () => {
    for (const image of [images.run, images.build]) {
      const { stdout } = await exec("skopeo", ["inspect", "--config", `oci:${image.layout}:${image.tag}`]);
      const config = JSON.parse(stdout);
      const diffIds: string[] = config.rootfs.diff_ids;
      expect(config.config.Labels["io.buildpacks.base.sbom"]).toBe(diffIds[1]);
      const layout = await OciLayout.open(image.layout);
      const parsed = await layout.resolve(image.tag);
      if (parsed.kind !== "manifest") throw new Error("not a manifest");
      const blob = layout.blobPath(parsed.manifest.layers[1]!.digest);
      const { stdout: listing } = await exec("tar", ["-tzf", blob]);
      expect(listing.split("\n").filter(Boolean).sort()).toEqual([
        "cnb/",
        "cnb/sbom/",
        "cnb/sbom/sbom.cdx.json",
        "cnb/sbom/sbom.spdx.json",
      ]);
      const { stdout: cdx } = await exec("tar", ["-xzOf", blob, "cnb/sbom/sbom.cdx.json"], { maxBuffer: 64 << 20 });
      const components: { name: string; purl: string }[] = JSON.parse(cdx).components;
      const installed = await readDpkgPackages(image.rootfs ?? "");
      expect(installed.length).toBeGreaterThan(80);
      expect(components.map((c) => c.name).sort()).toEqual(installed.map((p) => p.name).sort());
      const version = config.config.Labels["io.buildpacks.base.distro.version"];
      expect(components.find((c) => c.name === "libc6")?.purl).toMatch(
        new RegExp(`^pkg:deb/debian/libc6@[^?]+\\?arch=amd64&upstream=glibc&distro=debian-${version}$`),
      );
      const { stdout: spdx } = await exec("tar", ["-xzOf", blob, "cnb/sbom/sbom.spdx.json"], { maxBuffer: 64 << 20 });
      expect(JSON.parse(spdx).packages).toHaveLength(installed.length);
    }
  });

  test("base create --debian 12 still makes bookworm images, labelled 12 and io.cnbkit.base.bookworm", async () => {
    // Slim: one debootstrap of bookworm's run set (cached on a machine that made 12 before).
    const output = join(work, "bookworm");
    const out: string[] = [];
    const err: string[] = [];
    const argv = ["base", "create", "--debian", "12", "--flavor", "slim", "--output", `oci:${output}`];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code, err.join("\n")).toBe(0);
    expect(out[1]).toMatch(new RegExp(`^run image +oci:${output}:run +sha256:`));
    const { stdout } = await exec("skopeo", ["inspect", `oci:${output}:run`]);
    const info = JSON.parse(stdout);
    expect(info.Architecture).toBe("amd64");
    expect(info.Labels).toMatchObject({
      "io.buildpacks.base.id": "io.cnbkit.base.bookworm",
      "io.buildpacks.base.distro.version": "12",
      "io.buildpacks.stack.distro.version": "12",
    });
    expect(JSON.parse(info.Labels["io.buildpacks.base.metadata"]).packages).toContain("libssl3");
    const twelve = { ...images.run, layout: output };
    const dir = await bundle(twelve, "bookworm-run", ["/bin/sh", "-c", "cat /etc/os-release"]);
    try {
      expect(await runc(dir)).toContain("VERSION_CODENAME=bookworm");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 1_800_000);
});
