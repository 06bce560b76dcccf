import { spawnSync } from "node:child_process";
import { copyFile, mkdtemp, open, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { parseInventory, resolveDependency } from "@cnbkit/framework/dependencies";
import { debianVersionNewer } from "./debian-index.js";
import { withTrixieRoot } from "./debian-chroot.js";
import {
  LOCAL_CPYTHON_PATCH_BUILDS,
  localCpythonTarball,
  localPythonBuildpackToml,
  pythonCacheDir,
  upstreamVersion,
} from "./local-python.js";

const TIMEOUT = 300_000;

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `cnbkit-${prefix}-`));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function sh(cmd: string, args: string[], cwd = "/"): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

test.each([
  ["3.11.2-6+deb12u9", "3.11.2"],
  ["1:3.11.2-6", "3.11.2"],
  ["3.11.2~rc1-1", "3.11.2~rc1"],
])("Debian version %s is CPython %s", (debian, upstream) => {
  expect(upstreamVersion(debian)).toBe(upstream);
});

test("Debian versions compare as dpkg does: a security update is newer than the point release", () => {
  expect(debianVersionNewer("3.11.2-6+deb12u9", "3.11.2-6+deb12u8")).toBe(true);
  expect(debianVersionNewer("3.11.2-6+deb12u10", "3.11.2-6+deb12u9")).toBe(true);
  expect(debianVersionNewer("3.11.2~rc1-1", "3.11.2-1")).toBe(false);
});

test(
  "the amd64 tarball is laid out like install_only, relocates, makes venvs and is reproducible",
  async () => {
    const made = await localCpythonTarball("amd64");
    expect(made.version).toBe(upstreamVersion(made.debianVersion));
    expect(made.packages.map((p) => p.version)).toEqual(made.packages.map(() => made.debianVersion));
    expect(sh("sha256sum", [made.path]).split(" ")[0]).toBe(made.sha256);

    // Every entry: owner 0:0 and the fixed 1980 mtime, under python/.
    const listing = sh("tar", ["--numeric-owner", "-tvzf", made.path]).trim().split("\n");
    expect(listing.every((l) => / 0\/0 /.test(l) && l.includes("1980-01-01") && / python(\/|$)/.test(l))).toBe(true);

    const dir = await tempDir("pyrt");
    sh("tar", ["-xzf", made.path, "-C", dir]);
    const python = join(dir, "python");
    expect(await readlink(join(python, "bin/python3"))).toBe("python3.11");
    expect(await readlink(join(python, "bin/python"))).toBe("python3.11");
    const check =
      "import sys, ssl, sqlite3, ctypes, venv, json, zlib, bz2, lzma, uuid, readline, curses, dbm; import sysconfig; print(sys.prefix, sys.version.split()[0], sysconfig.get_path('stdlib'))";
    const out = sh(join(python, "bin/python3"), ["-c", check]).trim();
    expect(out).toBe(`${python} ${made.version} ${python}/lib/python3.11`);
    // Not "externally managed": that is Debian's apt speaking, not this interpreter's.
    expect(
      sh(join(python, "bin/python3"), [
        "-c",
        "import os, sysconfig; print(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))",
      ]).trim(),
    ).toBe("False");

    const venv = join(dir, "venv");
    sh(join(python, "bin/python3"), ["-m", "venv", "--without-pip", venv]);
    const inVenv = sh(join(venv, "bin/python"), ["-c", "import sys, ssl; print(sys.prefix, sys.base_prefix)"]).trim();
    expect(inVenv).toBe(`${venv} ${python}`);

    // CPython's headers, where sysconfig looks for them, with the arch's own pyconfig.h (not
    // Debian's wrapper that includes it from /usr/include): a C extension compiles and imports.
    const include = sh(join(venv, "bin/python"), [
      "-c",
      "import sysconfig; print(sysconfig.get_path('include'))",
    ]).trim();
    expect(include).toBe(`${python}/include/python3.11`);
    const pyconfig = await readFile(join(include, "pyconfig.h"), "utf8");
    expect(pyconfig).toContain("#define HAVE_");
    expect(pyconfig).not.toContain("linux-gnu/python3.11/pyconfig.h");
    const ext = join(dir, "cnbkit_cext.c");
    await writeFile(
      ext,
      '#include <Python.h>\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "cnbkit_cext", NULL, -1, NULL};\nPyMODINIT_FUNC PyInit_cnbkit_cext(void) { return PyModule_Create(&m); }\n',
    );
    sh("gcc", ["-shared", "-fPIC", "-I", include, ext, "-o", join(dir, "cnbkit_cext.so")]);
    const imported = sh(join(venv, "bin/python"), ["-c", "import cnbkit_cext; print(cnbkit_cext.__name__)"], dir);
    expect(imported.trim()).toBe("cnbkit_cext");

    // Made again from the same .debs into another cache: byte for byte the same tarball.
    const cache = await tempDir("pyrt-cache");
    await copyFile(
      join(pythonCacheDir(), "bookworm-python3.11-amd64.json"),
      join(cache, "bookworm-python3.11-amd64.json"),
    );
    const again = await localCpythonTarball("amd64", { cacheDir: cache });
    expect(again.sha256).toBe(made.sha256);
  },
  TIMEOUT,
);

test(
  "the arm64 tarball holds an aarch64 interpreter of the same version",
  async () => {
    const amd64 = await localCpythonTarball("amd64");
    const made = await localCpythonTarball("arm64");
    expect(made.debianVersion).toBe(amd64.debianVersion);
    const dir = await tempDir("pyrt-arm64");
    sh("tar", ["-xzf", made.path, "-C", dir, "python/bin/python3.11"]);
    const f = await open(join(dir, "python/bin/python3.11"));
    const head = Buffer.alloc(20);
    await f.read(head, 0, 20, 0);
    await f.close();
    // ELF e_machine at offset 18: 0xB7 is EM_AARCH64.
    expect([head.subarray(0, 4).toString("latin1"), head.readUInt16LE(18)]).toEqual(["\x7fELF", 0xb7]);
  },
  TIMEOUT,
);

/** The shape of buildpacks/python/buildpack.toml: an inventory of other CPythons, a 3.13 default, tools. */
const SHIPPED = `api = "0.12"
[buildpack]
  id = "cnbkit/python"
  version = "0.1.0"
[[targets]]
  os = "linux"
  arch = "amd64"
[[targets]]
  os = "linux"
  arch = "arm64"
[metadata]
  [metadata.default-versions]
    cpython = "3.13.x"
  [metadata.default-tools]
    pip = "26.3"
  [[metadata.dependencies]]
    id = "cpython"
    version = "3.13.9"
    os = "linux"
    arch = "amd64"
    uri = "https://example.invalid/cpython-3.13.9.tar.gz"
    sha256 = "${"b".repeat(64)}"
    strip-components = 1
`;

const py311 = {
  path: "/cache/py311.tar.gz",
  sha256: "a".repeat(64),
  version: "3.11.2",
  debianVersion: "3.11.2-6+deb12u9",
};
const py313 = {
  path: "/cache/py313.tar.gz",
  sha256: "c".repeat(64),
  version: "3.13.5",
  debianVersion: "3.13.5-2+deb13u5",
};

test("a CPython whose measured glibc need no Debian release meets runs on none: cnbkit/python refuses it", () => {
  const termios = "lib/python3.14/lib-dynload/termios.cpython-314-x86_64-linux-gnu.so";
  const cpythons = [
    { ...py313, glibc: { version: "2.38", file: "bin/python3.13" } },
    {
      path: "/c/py314.tar.gz",
      sha256: "d".repeat(64),
      version: "3.14.10",
      debianVersion: "3.14.10-1",
      glibc: { version: "2.42", file: termios },
    },
  ];
  const doc = parseToml(localPythonBuildpackToml(SHIPPED, cpythons, "amd64", "../src/index.ts", "3.13"), "generated");
  const inventory = parseInventory(doc.metadata as TomlTable);
  expect(inventory.map((d) => d.distros?.map((x) => x.version).join(" "))).toEqual(["13", ""]);
  const on13 = {
    id: "cpython",
    version: "3.14",
    os: "linux",
    arch: "amd64",
    distro: { name: "debian", version: "13" },
  };
  expect(() => resolveDependency(inventory, on13)).toThrow();
});

test.each(["amd64", "arm64"] as const)(
  "on %s the local python buildpack.toml resolves the default and each line to the local CPythons only",
  (arch) => {
    const cpythons = [
      { ...py311, glibc: { version: "2.35", file: "bin/python3.11" } },
      { ...py313, glibc: { version: "2.38", file: "bin/python3.13" } },
    ];
    const doc = parseToml(localPythonBuildpackToml(SHIPPED, cpythons, arch, "../src/index.ts", "3.13"), "generated");
    expect(doc.targets).toEqual([{ os: "linux", arch }]);
    const metadata = doc.metadata as TomlTable;
    expect((metadata["default-tools"] as TomlTable).pip).toBe("26.3");
    expect(metadata.cnbkit).toEqual({ entry: "../src/index.ts" });
    const inventory = parseInventory(metadata);
    expect(inventory.map((d) => [d.version, d.arch, d.uri, d.purl])).toEqual([
      [
        "3.11.2",
        arch,
        "file:///cache/py311.tar.gz",
        `pkg:deb/debian/python3.11@3.11.2-6%2Bdeb12u9?arch=${arch}&distro=debian-12`,
      ],
      [
        "3.13.5",
        arch,
        "file:///cache/py313.tar.gz",
        `pkg:deb/debian/python3.13@3.13.5-2%2Bdeb13u5?arch=${arch}&distro=debian-13`,
      ],
    ]);
    const range = (metadata["default-versions"] as TomlTable).cpython as string;
    const pick = (version: string) => resolveDependency(inventory, { id: "cpython", version, os: "linux", arch });
    expect([range, pick(range).version, pick("3.11").version]).toEqual(["3.13.x", "3.13.5", "3.11.2"]);
    expect(() => pick("3.12.x")).toThrow(/newest: 3\.13\.5/);
    // Debian 13's 3.13 needs glibc 2.38: the inventory says so, and a Debian 12 run image gets 3.11.
    expect(inventory.map((d) => d.distros?.map((x) => `${x.name}-${x.version}`).join(" "))).toEqual([
      "debian-12 debian-13",
      "debian-13",
    ]);
    const on12 = { id: "cpython", os: "linux", arch, distro: { name: "debian", version: "12" } };
    expect(resolveDependency(inventory, on12).version).toBe("3.11.2");
    expect(() => localPythonBuildpackToml(SHIPPED, cpythons, arch, "../src/index.ts", "3.12")).toThrow(
      /default line 3\.12 is not among 3\.11\.2, 3\.13\.5/,
    );
  },
);

test.each([
  ["3.13", "Debian 13"],
  ["3.14", "Debian unstable"],
  ["3.15", "Debian unstable"],
])(
  "the %s tarball from %s runs in a trixie root: byte-compiled stdlib, extension modules, venvs",
  async (minor) => {
    const made = await localCpythonTarball("amd64", { minor });
    const tag = minor.replace(".", "");
    expect(made.version).toMatch(new RegExp(`^${minor.replace(".", "\\.")}\\.\\d+$`));
    expect(made.packages.map((p) => p.name)).toContain(`libpython${minor}-dev`);
    const listing = sh("tar", ["-tzf", made.path]);
    expect(listing).toContain(`python/include/python${minor}/Python.h`);
    expect(listing).toContain(`python/lib/python${minor}/__pycache__/os.cpython-${tag}.pyc`);
    expect(listing).not.toContain("EXTERNALLY-MANAGED");
    const out = await withTrixieRoot(async (root) => {
      sh("tar", ["-xzf", made.path, "-C", join(root.dir, "opt")]);
      const check =
        // cache_from_source, not __cached__: 3.15 no longer sets a module's __cached__.
        "import sys, ssl, sqlite3, ctypes, venv, json, zlib, bz2, lzma, uuid, decimal, readline, os, importlib.util, email.parser as p; c = importlib.util.cache_from_source(p.__file__); print(sys.prefix, sys.version.split()[0], c, os.path.exists(c))";
      const seen = root.run("/opt/python/bin/python3", ["-c", check]).trim();
      root.run("/opt/python/bin/python3", ["-m", "venv", "--without-pip", "/tmp/v"]);
      // Sid's termios was built for glibc 2.42; the one compiled again for trixie imports here,
      // and so do the modules over it.
      const tty = root.run("/opt/python/bin/python3", [
        "-c",
        "import getpass, termios, tty, pty; print(termios.tcgetwinsize.__name__)",
      ]);
      const glibc = tty.trim() === "tcgetwinsize" ? "termios imports" : tty;
      return `${seen} ${root.run("/tmp/v/bin/python", ["-c", "import sys; print(sys.base_prefix)"]).trim()} ${glibc}`;
    });
    expect(out).toBe(
      `/opt/python ${made.version} /opt/python/lib/python${minor}/email/__pycache__/parser.cpython-${tag}.pyc True /opt/python termios imports`,
    );
    // Measured when made: nothing in it needs more than trixie's glibc 2.41.
    expect(made.glibc?.version).toBe("2.38");
  },
  TIMEOUT,
);

test("the fleet patch proof's other 3.13 build (sid's 3.13.18) sits beside trixie's, its purl naming sid; the newest wins an unpinned 3.13", () => {
  const sid = {
    path: "/cache/py31318.tar.gz",
    sha256: "e".repeat(64),
    version: "3.13.18",
    debianVersion: "3.13.18-1",
    glibc: { version: "2.38", file: "bin/python3.13" },
    distro: LOCAL_CPYTHON_PATCH_BUILDS[0]?.release.distro,
  };
  const cpythons = [{ ...py313, glibc: { version: "2.38", file: "bin/python3.13" } }, sid];
  const doc = parseToml(localPythonBuildpackToml(SHIPPED, cpythons, "amd64", "../src/index.ts", "3.13"), "generated");
  const inventory = parseInventory(doc.metadata as TomlTable);
  expect(inventory.map((d) => d.purl)).toEqual([
    "pkg:deb/debian/python3.13@3.13.5-2%2Bdeb13u5?arch=amd64&distro=debian-13",
    "pkg:deb/debian/python3.13@3.13.18-1?arch=amd64&distro=debian-sid",
  ]);
  const pick = (version: string) =>
    resolveDependency(inventory, { id: "cpython", version, os: "linux", arch: "amd64" });
  expect([pick("3.13.x").version, pick("3.13.5").version]).toEqual(["3.13.18", "3.13.5"]);
});
