/**
 * The newest glibc a runtime tree's ELF files need, measured when the runtime is made, so the
 * inventory can say which run images it runs on without a scan at every build.
 *
 * A binary built against glibc 2.42 carries a version need `GLIBC_2.42` in its
 * `.gnu.version_r` section, and the dynamic loader refuses to load it where libc.so.6 has no
 * such version: an interpreter then dies at start, an extension module at its import (sid's
 * termios on Debian 13). cnbkit's ELF reader (builder-packager/src/abi, the one rebases use)
 * reads those needs from any arch's ELF without running it, so one scan of the tree at make
 * time stands for every build that installs it.
 */
import { open, readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { compareVersions, readElfDynamic, splitVersionName } from "../../builder-packager/src/abi/index.js";

/** The newest glibc version the tree needs, and the first file (in path order) that needs it. */
export interface GlibcNeed {
  /** `2.38`. */
  version: string;
  /** The file that needs it, relative to the tree: `lib/python3.14/lib-dynload/termios.cpython-314-x86_64-linux-gnu.so`. */
  file: string;
}

/**
 * The glibc of each Debian release's images (its libc6): a runtime runs on a release whose
 * glibc is at least its {@link GlibcNeed}. Newest last.
 */
export const DEBIAN_GLIBC: readonly { version: string; glibc: string }[] = [
  { version: "12", glibc: "2.36" },
  { version: "13", glibc: "2.41" },
];

/** Compares two glibc versions (`2.9` < `2.38`). */
export function compareGlibc(a: string, b: string): number {
  return compareVersions(a, b);
}

/**
 * The Debian releases whose glibc meets `need`: the inventory's `distros` of a runtime.
 *
 * @example
 * debianReleasesFor("2.38"); // ["13"]
 * debianReleasesFor("2.42"); // []
 */
export function debianReleasesFor(need: string): string[] {
  return DEBIAN_GLIBC.filter((d) => compareGlibc(d.glibc, need) >= 0).map((d) => d.version);
}

/**
 * The newest glibc version any ELF file under `tree` needs (symlinks are not followed);
 * undefined when none names one.
 */
export async function glibcNeed(tree: string): Promise<GlibcNeed | undefined> {
  let newest: GlibcNeed | undefined;
  for (const file of await elfFiles(tree)) {
    const needs = readElfDynamic(await readFile(file))?.versionNeeds ?? [];
    const versions = needs.flatMap((n) => n.versions.map(splitVersionName));
    for (const { version } of versions.filter((v) => v?.family === "GLIBC") as { version: string }[]) {
      if (!newest || compareGlibc(version, newest.version) > 0) newest = { version, file: relative(tree, file) };
    }
  }
  return newest;
}

/** The regular files under `dir` that start with the ELF magic, in path order. */
async function elfFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...(await elfFiles(p)));
    else if (e.isFile() && (await isElf(p))) found.push(p);
  }
  return found;
}

async function isElf(path: string): Promise<boolean> {
  const f = await open(path, "r");
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await f.read(head, 0, 4, 0);
    return bytesRead === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    await f.close();
  }
}
