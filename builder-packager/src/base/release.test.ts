/**
 * The Debian release model without debootstrap: which release is the default, how `--debian`
 * reads, each release's package sets, and the labels and cache keys its images get.
 * images.test.ts builds the default images for real and checks them with skopeo and runc.
 */
import { describe, expect, test } from "vitest";
import { main } from "../cli/index.js";
import { baseContainerConfig, baseImagesKey, baseRootfsSpecs } from "./images.js";
import { BOOKWORM_PACKAGES, TRIXIE_PACKAGES } from "./packages.js";
import { DEBIAN_RELEASES, DEFAULT_DEBIAN_RELEASE, parseDebianRelease } from "./release.js";
import { rootfsKey } from "./rootfs.js";

const bookworm = parseDebianRelease("12", "--debian");
const trixie = parseDebianRelease("13", "--debian");

describe("Debian releases", () => {
  test("13 (trixie) is the default; 12 (bookworm) is the other choice, by version or codename", () => {
    expect(DEFAULT_DEBIAN_RELEASE).toBe(trixie);
    expect(trixie).toMatchObject({ codename: "trixie", version: "13", baseId: "io.cnbkit.base.trixie" });
    expect(bookworm).toMatchObject({ codename: "bookworm", version: "12", baseId: "io.cnbkit.base.bookworm" });
    expect(parseDebianRelease("bookworm", "--debian")).toBe(bookworm);
    expect(parseDebianRelease(" Trixie ", "--debian")).toBe(trixie);
    expect(DEBIAN_RELEASES.map((r) => r.version)).toEqual(["13", "12"]);
  });

  test("a release cnbkit does not make is one line that names the flag and the choices", () => {
    expect(() => parseDebianRelease("11", "--debian")).toThrow(
      '--debian "11" is not a Debian release cnbkit makes base images of: 13 (trixie) or 12 (bookworm)',
    );
  });

  test("cnbkit base create --debian 11 fails in one line, before any debootstrap", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["base", "create", "--debian", "11"], { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).not.toBe(0);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(/^error: --debian "11" is not a Debian release .*: 13 \(trixie\) or 12 \(bookworm\)$/);
    expect(err.join("\n")).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe("package sets", () => {
  test("trixie names the libraries the 64-bit time_t transition renamed (same sonames) and keeps the rest", () => {
    for (const set of [TRIXIE_PACKAGES.run, TRIXIE_PACKAGES.build]) {
      expect(set).toEqual(expect.arrayContaining(["libssl3t64", "libatomic1", "zlib1g", "ca-certificates"]));
      expect(set).not.toContain("libssl3");
    }
    const run = TRIXIE_PACKAGES.run;
    expect(run).toEqual(
      expect.arrayContaining(["libreadline8t64", "libdb5.3t64", "libtirpc3t64", "libncursesw6", "libnsl2", "libffi8"]),
    );
    expect(run.filter((p) => ["libreadline8", "libdb5.3", "libtirpc3"].includes(p))).toEqual([]);
  });

  test("the trixie run image carries what trixie's OpenJDK loads beyond minbase (libjpeg, lcms2)", () => {
    expect(TRIXIE_PACKAGES.run).toEqual(expect.arrayContaining(["libjpeg62-turbo", "liblcms2-2"]));
  });

  test("each build set holds its run set's non-Python packages plus the tools; no duplicates", () => {
    for (const { run, build } of [TRIXIE_PACKAGES, BOOKWORM_PACKAGES]) {
      for (const set of [run, build]) expect(new Set(set).size).toBe(set.length);
      expect(build).toEqual(expect.arrayContaining(["git", "build-essential", "python3", "libssl-dev", "zstd"]));
    }
    // libmpdec4 comes into the build image with its python3 (3.13), libpq5 with libpq-dev: both depend on them.
    const pulledIn = ["libmpdec4", "libpq5"];
    expect(TRIXIE_PACKAGES.build).toEqual(
      expect.arrayContaining(TRIXIE_PACKAGES.run.filter((p) => !pulledIn.includes(p))),
    );
    expect(TRIXIE_PACKAGES.build).toEqual(expect.arrayContaining(["libpq-dev"]));
  });

  test("bookworm's rootfs recipes are the ones cached before Debian 13 (no new debootstrap for 12)", () => {
    const before = {
      run: "ca-certificates libssl3 zlib1g netbase tzdata libatomic1 libsqlite3-0 libffi8 libexpat1 libncursesw6 libreadline8 libbz2-1.0 liblzma5 libuuid1 libdb5.3 libcrypt1 libnsl2 libtirpc3",
      build:
        "ca-certificates libssl3 zlib1g netbase tzdata libatomic1 git build-essential pkg-config python3 libssl-dev zlib1g-dev xz-utils zstd unzip",
    };
    const specs = baseRootfsSpecs("amd64", "standard", bookworm);
    for (const role of ["run", "build"] as const) {
      const old = { suite: "bookworm", variant: "minbase" as const, arch: "amd64" as const };
      expect(rootfsKey(specs[role])).toBe(rootfsKey({ ...old, packages: before[role].split(" ") }));
    }
  });
});

describe("image recipes per release", () => {
  test("the default specs are trixie's, with the release they are of", () => {
    const specs = baseRootfsSpecs("arm64", "slim");
    expect(specs.run).toMatchObject({ suite: "trixie", arch: "arm64", release: trixie });
    expect(specs.build.packages).toEqual(specs.run.packages);
    expect(baseRootfsSpecs("amd64").build.packages).toEqual([...TRIXIE_PACKAGES.build]);
  });

  test("labels say Debian 13 and the trixie id; with 12 they say 12 and bookworm", () => {
    const run = baseContainerConfig("run", baseRootfsSpecs("amd64").run);
    expect(run.Labels).toMatchObject({
      "io.buildpacks.base.id": "io.cnbkit.base.trixie",
      "io.buildpacks.base.distro.name": "debian",
      "io.buildpacks.base.distro.version": "13",
      "io.buildpacks.stack.id": "io.cnbkit.base.trixie",
      "io.buildpacks.stack.distro.name": "debian",
      "io.buildpacks.stack.distro.version": "13",
      "io.buildpacks.base.description":
        "Debian 13 (trixie) run image for Cloud Native Buildpacks, made by cnbkit with debootstrap",
    });
    const meta = JSON.parse(run.Labels?.["io.buildpacks.base.metadata"] ?? "{}");
    expect(meta).toMatchObject({ suite: "trixie", variant: "minbase" });
    expect(meta.packages).toContain("libssl3t64");
    expect(run.Env).not.toEqual(expect.arrayContaining([expect.stringMatching(/^CNB_STACK_ID=/)]));

    const build12 = baseContainerConfig("build", baseRootfsSpecs("amd64", "standard", bookworm).build);
    expect(build12.Labels).toMatchObject({
      "io.buildpacks.base.id": "io.cnbkit.base.bookworm",
      "io.buildpacks.base.distro.version": "12",
      "io.buildpacks.stack.distro.version": "12",
    });
    expect(build12.Env).toContain("CNB_STACK_ID=io.cnbkit.base.bookworm");
    expect(JSON.parse(build12.Labels?.["io.buildpacks.base.metadata"] ?? "{}").suite).toBe("bookworm");
  });

  test("each release, arch and flavour has its own cached layout", () => {
    const keys = new Set<string>();
    for (const release of DEBIAN_RELEASES) {
      for (const arch of ["amd64", "arm64"] as const) {
        for (const flavor of ["standard", "slim"] as const) keys.add(baseImagesKey(undefined, arch, flavor, release));
      }
    }
    expect(keys.size).toBe(8);
    expect(baseImagesKey(undefined, "amd64")).toBe(baseImagesKey(undefined, "amd64", "standard", trixie));
  });
});
