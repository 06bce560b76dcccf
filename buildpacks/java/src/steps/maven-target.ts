/**
 * Step: Maven's own build state (each module's `target/`) kept between builds, so a rebuild
 * after an edit is Maven's incremental build, as on a developer's machine, not a build from
 * scratch: the compiler plugin's stale-source check and its list of the classes it made,
 * resources and jars already up to date. Only with a layer cache: the cache-only layer
 * `maven_target` is then kept by reference at no cost per build; through the lifecycle's cache
 * it would be tarred and untarred whole (the jar twice over, with Spring Boot's `.original`),
 * which costs more than the incremental build saves.
 *
 * Kept only across edits that change file contents, not the build: its key is the list of
 * source paths, the build files' contents (every pom.xml, .mvn/), Maven's arguments, the JDK
 * and Maven. A file added, removed or renamed, or a pom changed, builds from scratch, as
 * `mvn clean package` would, so nothing a build no longer makes (a deleted resource, a
 * dropped dependency) lingers in the image. Maven finds what an edit changed by mtime (a
 * source or resource newer than target/'s copy). cnbkit's platform and the test harness copy
 * the app, dating every file now, but a platform that keeps the app's mtimes (a release
 * tarball's, a hard-linked workspace) could hand over an edited file older than the last
 * build's classes, which Maven would then skip; so the layer keeps each file's sha256 and a
 * restore dates to now every file whose contents changed. Those sha256 are the ones the
 * build's one walk of its sources took (source-tree.ts): this step reads no source itself.
 * An app that comes with a `target/` of its own is
 * built as it is, its target/ neither replaced nor kept.
 */
import { createHash } from "node:crypto";
import { cp, mkdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Layer } from "@cnbkit/framework";
import type { SourceApp } from "./read-app.js";
import type { SourceTree } from "./source-tree.js";
import type { StepContext } from "./step-context.js";

/** Bump when what `maven_target` holds changes, so an old one is not restored. */
const FORMAT = 2;

/** What a Maven run is, beside the tree: changing any of it builds from scratch. */
export interface MavenRunKey {
  args: string;
  jdk: string;
  maven: string;
}

/** A kept build state: put back before Maven runs, saved after it succeeded. */
export interface KeptTarget {
  /** Copies the kept `target/` dirs into the app's modules (nothing when none was kept). */
  restore(): Promise<void>;
  /** Keeps the modules' `target/` dirs as Maven left them. */
  save(): Promise<void>;
}

/**
 * The modules' `target/` dirs of `app` (app-relative: `target`, `core/target`): one beside
 * each pom.xml that is not itself inside a target/.
 */
export function moduleTargets(files: readonly string[]): string[] {
  const poms = files.filter((f) => posix.basename(f) === "pom.xml" && !f.split("/").includes("target"));
  return poms.map((p) => posix.join(posix.dirname(p), "target")).sort();
}

/** Whether `file` is in one of the modules' `target/` dirs (or is one). */
const inTarget = (file: string, targets: readonly string[]) =>
  targets.some((t) => file === t || file.startsWith(`${t}/`));

/**
 * The key's tree part: sha256 over the sorted source paths (not their contents) and the
 * sha256 of the build files (pom.xml files, .mvn/), taken from `tree` (read once, source-tree.ts)
 * rather than read again.
 */
export function shapeDigest(tree: SourceTree): string {
  const paths = Object.keys(tree.sha256);
  const targets = moduleTargets(paths);
  const h = createHash("sha256");
  for (const f of paths.filter((f) => !inTarget(f, targets)).sort()) {
    h.update(`${f}\n`);
    if (posix.basename(f) === "pom.xml" || f.startsWith(".mvn/")) h.update(tree.sha256[f] as string);
  }
  return h.digest("hex");
}

/** Where the layer keeps each source file's sha256 (the tree's, as the build began), beside the modules' target/ dirs. */
const SOURCES_FILE = "sources.json";

/**
 * The sha256 of each source a kept layer recorded, or {} when it has none or none this
 * version reads (an older layer, a damaged file): then every source counts as edited, so the
 * worst an old layer costs is a full compile on the kept target/, never a wrong build.
 */
export async function recordedSources(layerDir: string): Promise<Record<string, string>> {
  const parsed: unknown = await readFile(join(layerDir, SOURCES_FILE), "utf8")
    .then(JSON.parse)
    .catch(() => undefined);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === "string"));
}

/**
 * Dates to now every file whose sha256 is not the one `kept` recorded, so Maven's mtime
 * checks see the edit whatever mtime the file came with. Returns how many it dated.
 */
export async function markEdited(
  dir: string,
  now: Readonly<Record<string, string>>,
  kept: Readonly<Record<string, string>>,
): Promise<number> {
  const when = new Date();
  let edited = 0;
  for (const [f, digest] of Object.entries(now)) {
    if (kept[f] === digest) continue;
    await utimes(join(dir, f), when, when);
    edited++;
  }
  return edited;
}

/**
 * Maven's kept build state for `app`, or undefined (no layer cache, or the app has its own
 * target/). `tree` is the source tree the build read once (source-tree.ts): its sha256 of
 * each file decide the key, which files a restore dates as edited, and what a save records.
 */
export async function keptTarget(
  ctx: StepContext<"layers" | "log">,
  app: Pick<SourceApp, "dir" | "files">,
  tree: SourceTree,
  run: MavenRunKey,
): Promise<KeptTarget | undefined> {
  if (ctx.layers.keptByReferenceIn === undefined) return undefined;
  const targets = moduleTargets(app.files);
  if (app.files.some((f) => targets.some((t) => f.startsWith(`${t}/`)))) return undefined;
  const options = { types: { cache: true }, key: { shape: shapeDigest(tree), ...run, format: FORMAT } };
  const kept = await ctx.layers.keep("maven_target", options);
  const copy = async (from: string, to: string) => {
    for (const t of targets) {
      await rm(join(to, t), { recursive: true, force: true });
      await cp(join(from, t), join(to, t), { recursive: true, preserveTimestamps: true, force: true }).catch(
        (e: NodeJS.ErrnoException) => {
          if (e.code !== "ENOENT") throw e;
        },
      );
    }
  };
  return {
    async restore() {
      if (!kept) return;
      const recorded = await recordedSources(kept.path);
      await copy(kept.path, app.dir);
      const edited = await markEdited(app.dir, tree.sha256, recorded);
      ctx.log.detail(
        `Maven's target/ is the last build's (same files, same build files): an incremental build of ${edited} edited file${edited === 1 ? "" : "s"}`,
      );
    },
    async save() {
      const fill = async (l: Layer) => {
        await mkdir(l.path, { recursive: true });
        await copy(app.dir, l.path);
        await writeFile(join(l.path, SOURCES_FILE), JSON.stringify(tree.sha256));
      };
      if (kept) await fill(kept);
      else await ctx.layers.cached("maven_target", { ...options, fill });
    },
  };
}
