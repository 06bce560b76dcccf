/**
 * One pass over the exploded app's files and jars for the two things the build learns from
 * them: the class count (the memory calculator's metaspace estimate; see class-count.ts) and
 * the libraries (the app's SBOM: a pkg:maven component from each jar's pom.properties, else
 * one by its file name). Each jar's entries are read once, for both. A jar that is the app's
 * own code is not a library ({@link isOwnJar}); its classes still count.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import type { SbomComponent } from "@cnbkit/framework";
import { isClass } from "./class-count.js";
import { readJarEntries } from "./jar-files.js";
import { parseJarManifest } from "./jar-manifest.js";
import { jarComponent } from "./maven-sbom.js";

/** What the scan found. */
export interface AppScan {
  /** Class files in the app dir plus class entries in its jars. */
  classes: number;
  /** One component per library jar (every jar but the app's own), in path order. */
  libraries: SbomComponent[];
}

/** The file that marks a Quarkus fast-jar's root (`quarkus-app/`, or the app dir itself). */
const QUARKUS_RUNNER = "quarkus-run.jar";

/**
 * Whether `jar` (a path relative to the app dir, `/`-separated) is the app's own and not a
 * library: in a Quarkus fast-jar (a dir `root` of `quarkusRoots`, which holds quarkus-run.jar),
 * only lib/ (boot/ and main/) holds dependencies; the runner jar, app/ (the app's code) and
 * quarkus/ (generated-bytecode.jar, transformed-bytecode.jar: what Quarkus' build made of the
 * app) are the app. Other layouts keep their own code out of jars (Spring Boot's
 * BOOT-INF/classes, a classpath app's classes/) or are exploded from it.
 *
 * @example
 * isOwnJar("target/quarkus-app/app/demo-1.0.jar", ["target/quarkus-app"]) // true
 * isOwnJar("target/quarkus-app/lib/main/io.quarkus.quarkus-core-3.15.1.jar", ["target/quarkus-app"]) // false
 */
export function isOwnJar(jar: string, quarkusRoots: readonly string[]): boolean {
  return quarkusRoots.some((root) => {
    const prefix = root === "." ? "" : `${root}/`;
    return jar.startsWith(prefix) && !jar.slice(prefix.length).startsWith("lib/");
  });
}

const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;

/**
 * What one jar gave a scan, by its contents: a later scan that meets the same bytes under the
 * same name takes it instead of reading the jar's entries again (a Spring Boot app's libraries
 * are the same after an edit of its own code; only the jar it was exploded from changed).
 */
export interface JarScan {
  /** The jar's file name (the SBOM component's name may come from it). */
  name: string;
  sha256: string;
  /** Class entries in it. */
  classes: number;
  /** Its SBOM component (read as a library; used only when it is one). */
  component: SbomComponent;
}

/**
 * Scans the app in `dir`, whose files (app-relative) are `files`. `ownJars` are jars the build
 * made of the app itself (the runnable jar of a thin jar with its libs/): their classes count,
 * but they are not libraries. `known` are earlier scans of jars by sha256; `jars` in the result
 * are this scan's, to hand to the next.
 */
export async function scanAppDir(
  dir: string,
  files: readonly string[],
  ownJars: readonly string[] = [],
  known: readonly JarScan[] = [],
): Promise<AppScan & { jars: JarScan[] }> {
  let classes = 0;
  const jars: string[] = [];
  const quarkusRoots: string[] = [];
  for (const f of files) {
    if (isClass(f)) classes++;
    else if (f.endsWith(".jar")) jars.push(f);
    if (posix.basename(f) === QUARKUS_RUNNER) quarkusRoots.push(posix.dirname(f));
  }
  const own = new Set(ownJars);
  const bySha = new Map(known.map((j) => [`${j.sha256} ${j.name}`, j]));
  const libraries: SbomComponent[] = [];
  const scans: JarScan[] = [];
  for (const rel of jars.sort()) {
    const jar = join(dir, rel);
    const hash = createHash("sha256");
    await pipeline(createReadStream(jar), hash);
    const sha256 = hash.digest("hex");
    const name = posix.basename(rel);
    const scan = bySha.get(`${sha256} ${name}`) ?? (await scanJar(jar, name, sha256));
    scans.push(scan);
    classes += scan.classes;
    if (!own.has(rel) && !isOwnJar(rel, quarkusRoots)) libraries.push(scan.component);
  }
  return { classes, libraries, jars: scans };
}

/** One jar's class entries and SBOM component, from its entries (pom.properties, the manifest). */
async function scanJar(jar: string, name: string, sha256: string): Promise<JarScan> {
  let classes = 0;
  const poms: { path: string; text: string }[] = [];
  let manifestVersion: string | undefined;
  await readJarEntries(
    jar,
    (n) => POM_PROPERTIES.test(n) || n === "META-INF/MANIFEST.MF",
    (path, text) => {
      if (isClass(path)) classes++;
      if (text === undefined) return;
      if (path === "META-INF/MANIFEST.MF")
        manifestVersion = parseJarManifest(text).attributes["Implementation-Version"]?.trim() || undefined;
      else poms.push({ path, text });
    },
  );
  return { name, sha256, classes, component: jarComponent(name, poms, sha256, manifestVersion) };
}
