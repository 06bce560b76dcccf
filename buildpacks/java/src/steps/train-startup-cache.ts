/**
 * Step: with BP_JVM_CDS_ENABLED=true, a Spring Boot app starts from a Class Data Sharing
 * archive, and with BP_JVM_AOTCACHE_ENABLED=true on Java 25+ from an AOT cache (JEP 483/514,
 * CDS's successor: linked classes and heap objects too), as Paketo's Spring Boot buildpack
 * and `spring-boot:build-image` make them; which one, and the fallback to CDS below Java 25,
 * is {@link chooseStartupCache}. A training run at build starts the app until its context
 * has refreshed (`-Dspring.context.exit=onRefresh`, Spring Boot 3.2+) and the JVM writes every
 * class it loaded into `application.jsa` (`-XX:ArchiveClassesAtExit`) or `application.aot`
 * (`-XX:AOTCacheOutput`); at launch `-XX:SharedArchiveFile` / `-XX:AOTCache` maps them instead
 * of loading, verifying and linking them again.
 *
 * What both need, and how the exploded app gives it:
 * - classes from jars only (a non-empty directory on the class path stops the dump): the app's
 *   own BOOT-INF/classes are jarred into the `cds` layer as `application.jar`, and the
 *   libraries are BOOT-INF/lib's jars in classpath.idx order, on a flat class path with
 *   Start-Class as the main class (no JarLauncher: its nested-jar class loader is one CDS
 *   does not archive);
 * - the same jars at launch: the JVM checks each jar's size and mtime, and the lifecycle
 *   dates every file 1980-01-01T00:00:01Z when it exports, so the jars get that mtime before
 *   the training run;
 * - the same JVM: the run uses the launch JRE's own `java` (its layer is filled for it when it
 *   was reused from the image), and the layer's key names that JRE. Should the cache still
 *   not match at launch (a JRE swapped under the image, say, or a cache file of another size
 *   than the training run wrote), an exec.d check in the layer (startup-cache-check.ts) says
 *   so in one line and the JVM starts plainly; without a shell in the run image, the JVM
 *   itself warns and starts without it: the launch flag never forces the cache
 *   (startup-cache.ts says why).
 * A training run that fails (the app needs a database at startup, say) is a warning, and the
 * app starts as before.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { readdir, readFile, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { type Layer, metadataSchema, type Settings } from "@cnbkit/framework";
import { runStreaming } from "@cnbkit/framework/process";
import yazl from "yazl";
import type { JarManifest } from "../jar-manifest.js";
import { chooseStartupCache, STARTUP_CACHE_FORMATS } from "../startup-cache.js";
import {
  STARTUP_CACHE_CHECK_EXEC_D,
  STARTUP_CACHE_CHECK_FORMAT,
  startupCacheCheckScript,
} from "../startup-cache-check.js";
import { JVM_HELPER, runImageHasShell } from "./add-shell-free-launch.js";
import type { Jre } from "./install-jre.js";
import type { StepContext } from "./step-context.js";

/** The lifecycle's fixed file time, which every exported file has at launch. */
const EXPORT_MTIME = new Date("1980-01-01T00:00:01Z");

/** Lines of a failed training run's output shown in the warning. */
const TAIL_LINES = 8;

/** The `cds` layer's metadata: whether the training run wrote its cache. */
const cdsMetadata = metadataSchema({ archive: "boolean", jvm: "string?", size: "number?" });

/** The Spring Boot version (major.minor) from which `spring.context.exit=onRefresh` works. */
function supportsContextExit(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 3 || (major === 3 && minor >= 2);
}

/** BOOT-INF/lib's jars, in classpath.idx's order when the jar has one (Spring Boot 2.5+). */
async function libraryJars(appDir: string): Promise<string[]> {
  const idx = await readFile(join(appDir, "BOOT-INF", "classpath.idx"), "utf8").catch(() => undefined);
  const listed = idx
    ?.split("\n")
    .map((l) => /^- "(.+)"$/.exec(l.trim())?.[1])
    .filter((p): p is string => p !== undefined);
  if (listed && listed.length > 0) return listed.map((p) => join(appDir, p));
  const dir = join(appDir, "BOOT-INF", "lib");
  const names = existsSync(dir) ? (await readdir(dir)).filter((n) => n.endsWith(".jar")).sort() : [];
  return names.map((n) => join(dir, n));
}

/**
 * Writes `dir` into the jar `out` (sorted, dated 1980: the same classes give the same jar).
 * Directory entries too: Spring's component scan lists a package through the class loader's
 * resources, and a jar without `com/example/` entries has none, so no controller is found.
 */
async function jarDirectory(dir: string, out: string): Promise<void> {
  const zip = new yazl.ZipFile();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const rel = (e: { parentPath: string; name: string }) => join(e.parentPath, e.name).slice(dir.length + 1);
  const paths = entries
    .filter((e) => e.isFile() || e.isDirectory())
    .map((e) => ({ path: rel(e), dir: e.isDirectory() }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const p of paths) {
    if (p.dir) zip.addEmptyDirectory(p.path, { mtime: EXPORT_MTIME, mode: 0o755 });
    else zip.addFile(join(dir, p.path), p.path, { mtime: EXPORT_MTIME, mode: 0o644 });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(out));
}

/**
 * The JVM build of `java` (`-Xinternalversion`: what a cache's header records), or undefined
 * when it will not say. Without the app's JAVA_TOOL_OPTIONS, which it would announce.
 */
function jvmBuild(java: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(java, ["-Xinternalversion"], { env: { PATH: process.env.PATH }, encoding: "utf8" }, (err, stdout) =>
      resolve(err || !stdout.trim() ? undefined : stdout.trim()),
    );
  });
}

/** What a training run makes: the kind of cache, how it is written and read, and the app's main class. */
interface CachePlan {
  choice: Exclude<ReturnType<typeof chooseStartupCache>, { kind: "none" }>;
  format: (typeof STARTUP_CACHE_FORMATS)[keyof typeof STARTUP_CACHE_FORMATS];
  /** "starts without a CDS archive": how a warning ends when there is none. */
  without: string;
  /** Start-Class. */
  main: string;
}

/**
 * Trains a CDS archive or an AOT cache when BP_JVM_CDS_ENABLED or BP_JVM_AOTCACHE_ENABLED is
 * true and the app is a Spring Boot 3.2+ app; returns the start command that maps it, or
 * undefined (start as before).
 */
export async function trainStartupCache(
  ctx: StepContext<"app" | "layers" | "log">,
  settings: Settings,
  manifest: JarManifest,
  jre: Jre,
): Promise<string[] | undefined> {
  const plan = planCache(ctx, settings, manifest, jre);
  if (!plan) return undefined;
  const { choice, format, main } = plan;
  ctx.log.step(`${format.label} (${choice.setting})`);
  if (choice.note) ctx.log.warn(choice.note);
  const appDir = ctx.app.path;
  const libs = await libraryJars(appDir);
  const classes = join(appDir, "BOOT-INF", "classes");
  const app = await appListing(libs, classes);
  // The launch check is an sh exec.d program in this layer; a run image without a shell gets
  // the same check from the static jvm-helper (steps/add-shell-free-launch.ts), which reads
  // what it needs from this layer's BPI_JVM_STARTUP_CACHE_* at launch.
  const check = runImageHasShell(settings);
  const layer = await ctx.layers.cached("cds", {
    types: { launch: true, cache: false },
    key: {
      kind: choice.kind,
      check: check ? STARTUP_CACHE_CHECK_FORMAT : `${JVM_HELPER}-${STARTUP_CACHE_CHECK_FORMAT}`,
      jre: jre.version,
      jreKey: JSON.stringify(jre.layer.key ?? {}),
      app,
      main,
    },
    metadata: cdsMetadata,
    fill: (l) => trainCache(ctx, l, { plan, jre, libs, classes, check }),
  });
  if (!layer.metadata.archive) return undefined;
  const { jvm, size } = layer.metadata;
  if (!check && jvm !== undefined && size !== undefined) describeForHelper(layer, format, { jvm, size });
  const classPath = [join(layer.path, "application.jar"), ...libs].join(":");
  return ["java", format.launchFlag(join(layer.path, format.file)), "-cp", classPath, main];
}

/**
 * The cache the settings ask for, if this app can be trained: a Spring Boot 3.2+ app with a
 * Start-Class. Otherwise undefined, with a warning when a setting asked for one.
 */
function planCache(
  ctx: StepContext<"log">,
  settings: Settings,
  manifest: JarManifest,
  jre: Jre,
): CachePlan | undefined {
  const choice = chooseStartupCache(settings, jre.version);
  if (choice.kind === "none") return undefined;
  const format = STARTUP_CACHE_FORMATS[choice.kind];
  const without = `starts without ${choice.kind === "aot" ? "an" : "a"} ${format.label}`;
  const boot = manifest.springBootVersion;
  const main = manifest.startClass;
  if (!boot || !main || !supportsContextExit(boot)) {
    ctx.log.warn(
      `${choice.setting}: the training run needs a Spring Boot 3.2+ app (spring.context.exit); this one is ${boot ? `Spring Boot ${boot}` : "not a Spring Boot app"}, so it ${without}`,
    );
    return undefined;
  }
  return { choice, format, without, main };
}

/** A digest of what the training run loads: each library jar's path and size, and the app's class files' names. */
async function appListing(libs: readonly string[], classes: string): Promise<string> {
  const listing = createHash("sha256");
  for (const jar of libs) listing.update(`${jar} ${(await stat(jar)).size}\n`);
  const classFiles = existsSync(classes) ? await readdir(classes, { recursive: true }) : [];
  for (const f of classFiles.sort()) listing.update(`${f}\n`);
  return listing.digest("hex");
}

/**
 * Fills the `cds` layer: jars the app's classes, dates the class path's jars as the export
 * will, and runs the app once with the training flag. A failed run is a warning (and a layer
 * that says there is no cache); a written one gets its launch check as an exec.d program
 * when the run image has a shell.
 */
async function trainCache(
  ctx: StepContext<"app" | "log">,
  l: Pick<Layer, "path" | "execD">,
  i: { plan: CachePlan; jre: Jre; libs: readonly string[]; classes: string; check: boolean },
): Promise<{ archive: boolean; jvm: string | undefined; size: number | undefined }> {
  const { choice, format, without, main } = i.plan;
  await i.jre.layer.ensureContents();
  await jarDirectory(i.classes, join(l.path, "application.jar"));
  const classPath = [join(l.path, "application.jar"), ...i.libs];
  for (const jar of classPath) await utimes(jar, EXPORT_MTIME, EXPORT_MTIME);
  const cache = join(l.path, format.file);
  const trainFlag = format.trainFlag(cache);
  const java = join(i.jre.layer.path, "bin", "java");
  const command = [java, trainFlag, "-Dspring.context.exit=onRefresh", "-cp", classPath.join(":"), main];
  ctx.log.detail(`Training run: ${main} until its context refreshes (${trainFlag.split("=")[0]})`);
  const done = ctx.log.timer();
  const lines: string[] = [];
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR };
  const exit = await runStreaming(command, { cwd: ctx.app.path, env, onLine: (line) => lines.push(line) });
  if (exit.code !== 0 || !existsSync(cache)) {
    ctx.log.warn(
      `${choice.setting}: the training run failed (exit ${exit.code ?? exit.signal}), so the app ${without}; its last lines:`,
    );
    for (const line of lines.slice(-TAIL_LINES)) ctx.log.subprocess(line);
    return { archive: false, jvm: undefined, size: undefined };
  }
  const { size } = await stat(cache);
  ctx.log.detail(`Wrote ${format.file} (${(size / 1048576).toFixed(1)} MB, ${classPath.length} jars) in ${done()}`);
  const jvm = await jvmBuild(java);
  if (jvm && i.check) {
    // The size too: a cache cut short or changed since is turned off with one line as well.
    const script = startupCacheCheckScript({ label: format.label, jvm, cache, size, off: format.offFlag });
    await l.execD.addScript(STARTUP_CACHE_CHECK_EXEC_D, script);
  }
  return { archive: true, jvm, size };
}

/**
 * For a run image without a shell: what the jvm-helper checks at launch, as the layer's
 * BPI_JVM_STARTUP_CACHE_* variables (the exec.d check's inputs, given another way).
 */
function describeForHelper(
  layer: Pick<Layer, "path" | "env">,
  format: CachePlan["format"],
  cache: { jvm: string; size: number },
): void {
  const file = join(layer.path, format.file);
  const describe = { "": file, SIZE: String(cache.size), JVM: cache.jvm, LABEL: format.label, OFF: format.offFlag };
  for (const [part, value] of Object.entries(describe))
    layer.env.launch.default(`BPI_JVM_STARTUP_CACHE${part ? `_${part}` : ""}`, value);
}
