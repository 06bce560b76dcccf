/**
 * One pass over the exploded app's files and jars for the two things the build learns from
 * them: the class count (the memory calculator's metaspace estimate; see class-count.ts) and
 * the libraries (the app's SBOM: a pkg:maven component from each jar's pom.properties, else
 * one by its file name). Each jar's entries are read once, for both.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
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
  /** One component per jar, in path order. */
  libraries: SbomComponent[];
}

const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;

/** Scans `dir` (recursively). */
export async function scanAppDir(dir: string): Promise<AppScan> {
  let classes = 0;
  const jars: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    if (isClass(e.name)) classes++;
    else if (e.name.endsWith(".jar")) jars.push(join(e.parentPath, e.name));
  }
  const libraries: SbomComponent[] = [];
  for (const jar of jars.sort()) {
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
    const hash = createHash("sha256");
    await pipeline(createReadStream(jar), hash);
    libraries.push(jarComponent(jar.split("/").pop() as string, poms, hash.digest("hex"), manifestVersion));
  }
  return { classes, libraries };
}
