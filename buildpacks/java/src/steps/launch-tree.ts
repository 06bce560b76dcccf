/**
 * Step: the app dir as the image gets it, after the explode or the staging, listed once. The
 * scan (class count, libraries), jdeps and the framework's signs all read this listing; the
 * jar the tree was unpacked from keys what is kept of their answers, and a kept thin jar is
 * the app's own code, not one of its libraries.
 */
import type { BuiltApp } from "./build-app.js";
import { listFiles } from "./source-tree.js";

/** The app dir as the image gets it. */
export interface LaunchTree {
  dir: string;
  /** App-relative paths of its files. */
  files: readonly string[];
  /** The sha256 of the jar the app dir was unpacked from; undefined when it was not. */
  jarSha256?: string | undefined;
  /** Jars the build made of the app itself (a kept thin jar or quarkus-run.jar): not libraries. */
  ownJars: readonly string[];
}

/** Lists the app dir `dir` as `built` and the explode (`jarSha256`) left it. */
export async function readLaunchTree(dir: string, built: BuiltApp, jarSha256: string | undefined): Promise<LaunchTree> {
  const ownJars = built.kind === "keep" && built.runnable.kind === "jar" ? [built.runnable.jar] : [];
  // An app given exploded is left as it was read: its listing is still the source one.
  const unchanged = built.kind === "explode" && built.jar === undefined;
  return { dir, files: unchanged ? built.files : await listFiles(dir), jarSha256, ownJars };
}
