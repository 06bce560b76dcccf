/**
 * Gradle's real wrapper for the buildpack's tests, and a distribution it accepts.
 *
 * The wrapper: `gradlew` and `gradle/wrapper/gradle-wrapper.jar` (Gradle 9.4.1's) as React
 * Native's app template ships them in the npm package @react-native-community/template@0.87.2
 * (GitHub and services.gradle.org are unreachable from cnbkit's CI; the npm registry is not).
 * The tarball is checked against the registry's sha512 integrity and the two files are kept in
 * ~/.cache/cnbkit/test-mirror/java/.
 *
 * The distribution: Gradle's own zips are unreachable too, so {@link wrapperDistribution} makes
 * a small one laid out as the wrapper expects (one top dir `gradle-<v>/`, `lib/gradle-launcher-<v>.jar`
 * with `org.gradle.launcher.GradleMain`, which the wrapper loads and calls), whose GradleMain runs
 * the distribution's `bin/gradle`: the stand-in of fake-gradle.ts. So the wrapper's own download,
 * sha256 check, unzip and launch are real, and only Gradle's build is the stand-in.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { FAKE_GRADLE } from "./fake-gradle.js";

const TEMPLATE = "@react-native-community/template";
const TEMPLATE_VERSION = "0.87.2";
/** `npm view @react-native-community/template@0.87.2 dist.integrity`. */
const TEMPLATE_INTEGRITY =
  "sha512-s82pjwutknww5qMA3JMREi7RRPLUW4FJ8cq2tWLux/gYPvT6S02CdK+Q3mzh3Hx4l+DZvMagG22/7Yz0G4/5JQ==";

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
}

/** The real wrapper's two files, downloaded once. */
export async function realGradleWrapper(): Promise<{ gradlew: string; jar: string }> {
  const dir = join(
    homedir(),
    ".cache",
    "cnbkit",
    "test-mirror",
    "java",
    `gradle-wrapper-rn-template-${TEMPLATE_VERSION}`,
  );
  const files = { gradlew: join(dir, "gradlew"), jar: join(dir, "gradle-wrapper.jar") };
  if (existsSync(files.gradlew) && existsSync(files.jar)) return files;
  const work = await mkdtemp(join(tmpdir(), "cnbkit-gradle-wrapper-"));
  try {
    const tgz = join(work, "template.tgz");
    const url = `https://registry.npmjs.org/${TEMPLATE}/-/template-${TEMPLATE_VERSION}.tgz`;
    run("curl", ["-sSfL", "--retry", "3", "-o", tgz, url], work);
    const h = createHash("sha512");
    await pipeline(createReadStream(tgz), h);
    const got = `sha512-${h.digest("base64")}`;
    if (got !== TEMPLATE_INTEGRITY)
      throw new Error(`${url}: integrity ${got} is not the registry's ${TEMPLATE_INTEGRITY}`);
    const inside = "package/template/android";
    run("tar", ["xzf", tgz, `${inside}/gradlew`, `${inside}/gradle/wrapper/gradle-wrapper.jar`], work);
    const staged = join(work, "staged");
    await mkdir(staged);
    await copyFile(join(work, inside, "gradlew"), join(staged, "gradlew"));
    await copyFile(join(work, inside, "gradle/wrapper/gradle-wrapper.jar"), join(staged, "gradle-wrapper.jar"));
    await mkdir(join(dir, ".."), { recursive: true });
    // Another test process may have put it there first: theirs is the same bytes.
    await rename(staged, dir).catch((err: NodeJS.ErrnoException) => {
      if (!existsSync(files.jar)) throw err;
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return files;
}

const GRADLE_MAIN = `package org.gradle.launcher;
import java.io.File;
/** The stand-in's launcher: runs the distribution's bin/gradle in the wrapper's cwd. */
public class GradleMain {
  public static void main(String[] args) throws Exception {
    File jar = new File(GradleMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    File script = new File(jar.getParentFile().getParentFile(), "bin/gradle");
    String[] cmd = new String[args.length + 2];
    cmd[0] = "sh";
    cmd[1] = script.getPath();
    System.arraycopy(args, 0, cmd, 2, args.length);
    System.exit(new ProcessBuilder(cmd).inheritIO().start().waitFor());
  }
}
`;

/**
 * Writes `<work>/gradle-<version>-bin.zip`, a distribution the real wrapper installs and runs
 * (see above; its GradleMain is compiled with the host's javac), and returns its path.
 * `text` is echoed by its bin/gradle, so two distributions can be told apart in a log.
 */
export async function wrapperDistribution(work: string, version: string, text = "stand-in"): Promise<string> {
  const root = join(work, `dist-${version}-${text.replace(/\W/g, "")}`);
  const home = join(root, `gradle-${version}`);
  await mkdir(join(home, "bin"), { recursive: true });
  await mkdir(join(home, "lib"), { recursive: true });
  await writeFile(
    join(home, "bin", "gradle"),
    FAKE_GRADLE.replace("set -e\n", `set -e\necho "distribution: ${text}"\n`),
  );
  await chmod(join(home, "bin", "gradle"), 0o755);
  const src = join(root, "src");
  await mkdir(join(src, "org/gradle/launcher"), { recursive: true });
  await writeFile(join(src, "org/gradle/launcher/GradleMain.java"), GRADLE_MAIN);
  run("javac", ["--release", "17", "-d", join(root, "classes"), "org/gradle/launcher/GradleMain.java"], src);
  run(
    "jar",
    ["--create", "--file", join(home, "lib", `gradle-launcher-${version}.jar`), "-C", join(root, "classes"), "."],
    root,
  );
  const zip = join(work, `gradle-${version}-bin-${text.replace(/\W/g, "")}.zip`);
  run("zip", ["-qr", zip, `gradle-${version}`], root);
  return zip;
}

/** The sha256 of a file, as `distributionSha256Sum` holds it. */
export async function sha256Hex(path: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(path), h);
  return h.digest("hex");
}
