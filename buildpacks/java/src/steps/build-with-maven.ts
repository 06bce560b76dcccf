/**
 * Step: build the app with Maven. The wrapper (`mvnw`) when the app has one, else Maven
 * from the inventory in a build layer. The local repository (~/.m2) lives in a cache-only
 * layer, so a rebuild downloads nothing it already has; the built artifact is kept in a
 * cache-only layer keyed on a digest of the source tree, the arguments and the JDK, so an
 * unchanged tree skips Maven entirely (as Paketo's maven buildpack does), and installs
 * neither the JDK nor Maven. With a layer cache, Maven's target/ is kept too (maven-target.ts),
 * so a changed tree is Maven's incremental build. Both layers are arch-neutral (unless a build file asks for the
 * CPU): in a multi-platform build the emulated platforms reuse the native build's artifact,
 * and skip Maven, the JDK and the repository too.
 */
import { chmod, copyFile, mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  type EnvChange,
  type Layer,
  type layers,
  metadataSchema,
  type ResolvedDependency,
  type Settings,
  type ToolEnv,
  withChanges,
} from "@cnbkit/framework";
import type { BuildTool } from "../build-tool.js";
import { mavenArguments } from "../maven-args.js";
import { argsForMaven, wrapperMavenVersion } from "../maven-wrapper-version.js";
import { describeRunnable, type Runnable } from "../runnable.js";
import { runTool } from "@cnbkit/framework/process";
import { explainMissingProgram, mavenErrorLine } from "../build-tool-errors.js";
import { explainMissingArtifacts } from "../missing-artifacts.js";
import { archNeutrality } from "./arch-neutrality.js";
import { buildTrust } from "./build-trust.js";
import type { BuildJdk } from "./install-jdk.js";
import { findRunnable } from "./find-runnable.js";
import type { SourceApp } from "./read-app.js";
import { keptTarget } from "./maven-target.js";
import { listFiles, sourceTree } from "./source-tree.js";
import { saveKept } from "./stage-app.js";
import type { StepContext } from "./step-context.js";

/** What the build made (kept in the `maven_build` layer). */
export interface MavenBuild {
  /** What runs; its paths are relative to `root`. */
  runnable: Runnable;
  /** The `maven_build` layer's path, which holds the runnable's files at their app-relative paths. */
  root: string;
  /** Whether Maven ran (false: the source tree was unchanged). */
  ran: boolean;
  /** App-relative paths of the app dir's files as the build left them (the source tree when Maven did not run). */
  files: readonly string[];
}

/** Bump when what `maven_build` holds changes, so an old layer is not misread. */
const BUILD_LAYOUT = 2;

/**
 * `maven_build`'s metadata: the runnable, as a table. Earlier versions kept it as a JSON string;
 * such a layer is migrated rather than built again.
 */
const buildMetadata = metadataSchema(
  { runnable: readRunnable },
  { migrate: (old) => (typeof old.runnable === "string" ? { runnable: JSON.parse(old.runnable) } : undefined) },
);

/** A stored runnable: its kind and the paths that kind needs, or an Error saying what is missing. */
function readRunnable(r: unknown, field: string): Runnable {
  const has = (o: object, ...keys: string[]) =>
    keys.every((k) => typeof (o as Record<string, unknown>)[k] === "string");
  if (typeof r === "object" && r !== null) {
    const kind = (r as { kind?: unknown }).kind;
    if ((kind === "exploded" && has(r, "jar")) || (kind === "war" && has(r, "war"))) return r as Runnable;
    if (kind === "jar" && has(r, "jar") && Array.isArray((r as { keep?: unknown }).keep)) return r as Runnable;
    if (kind === "classpath" && has(r, "classes", "mainClass")) return r as Runnable;
  }
  throw new Error(`${field} is not a runnable this version knows`);
}

/** Builds with Maven (or reuses the previous build's artifact). */
export async function buildWithMaven(
  ctx: StepContext<"layers" | "multiPlatform" | "log" | "dependencies" | "platform">,
  settings: Settings,
  app: SourceApp,
  tool: Extract<BuildTool, { kind: "maven" }>,
  jdk: BuildJdk,
): Promise<MavenBuild> {
  const dep = tool.wrapper ? undefined : ctx.dependencies.resolve("maven");
  // An old wrapper's Maven (before 3.6.1) rejects --no-transfer-progress.
  const mavenVersion = dep?.version ?? (await wrapperVersion(app.dir));
  const args = argsForMaven(mavenArguments(settings), mavenVersion);
  // The header first: the cache layer's "Reusing maven_m2" line belongs under it.
  ctx.log.step(`Maven (${dep ? `Maven ${dep.version}` : "mvnw"})`);
  const neutral = await archNeutrality(app);
  const m2 = localRepository(ctx, neutral);
  const extra = settingsArguments(ctx);
  // Read once: the key's digest, and maven_target's sha256 of each file (its key, its edits).
  const tree = await sourceTree(app.dir, app.files, ["target"]);
  let ran = false;
  let files = app.files;
  const key = { args: [...args, ...extra].join(" "), jdk: jdk.version, maven: dep?.version ?? "mvnw" };
  // Declared (kept) now: a build that skips Maven keeps it for the next one that runs it.
  const target = await keptTarget(ctx, app, tree, key);
  const out = await ctx.multiPlatform.cached("maven_build", {
    types: { cache: true },
    key: { sources: tree.digest, ...key, layout: BUILD_LAYOUT },
    metadata: buildMetadata,
    archNeutral: neutral,
    async fill(l) {
      // The JDK and Maven are installed only now: an unchanged tree needs neither.
      const env = await mavenEnv(ctx, { settings, app, tool, jdk, dep, repo: await m2.get() });
      const maven = { ...env, args, extra, version: mavenVersion };
      await target?.restore();
      await runMaven(ctx, app, maven, tool.wrapper);
      ran = true;
      const found = await locateRunnable(ctx, app, maven, settings);
      await target?.save();
      files = found.files;
      await keepRunnable(app.dir, found.runnable, l.path);
      return { runnable: found.runnable };
    },
  });
  await m2.keepIfUnused();
  if (!ran && !(out.state.kind === "restored" && out.state.fromArch)) ctx.log.detail(UNCHANGED);
  return { runnable: out.metadata.runnable, root: out.path, ran, files };
}

/** How this build runs Maven: the program, its arguments and environment. */
interface MavenInvocation {
  /** mvn from the inventory's layer, or the app's mvnw. */
  program: string;
  env: ToolEnv;
  /** The build's arguments, as the settings make them for this Maven version. */
  args: readonly string[];
  /** `--settings <binding>/settings.xml` when a `maven` binding carries one; every run passes them. */
  extra: readonly string[];
  /** Maven's version (from the inventory or the wrapper), for the arguments of later runs. */
  version: string | undefined;
}

/** `--settings` for the settings.xml of a `maven` binding, if the platform binds one. */
function settingsArguments(ctx: StepContext<"platform">): string[] {
  const binding = ctx.platform.bindings.one("maven");
  return binding?.entries.includes("settings.xml") ? ["--settings", join(binding.path, "settings.xml")] : [];
}

/**
 * Installs what Maven runs with (the JDK, Maven itself unless the app has a wrapper, the
 * build's trust store) and returns the program and its environment, which points Maven's
 * local repository at the `maven_m2` layer.
 */
async function mavenEnv(
  ctx: StepContext<"layers" | "log" | "dependencies" | "platform">,
  i: {
    settings: Settings;
    app: SourceApp;
    tool: Extract<BuildTool, { kind: "maven" }>;
    jdk: BuildJdk;
    dep: ResolvedDependency | undefined;
    repo: Layer<MetadataTable>;
  },
): Promise<{ program: string; env: ToolEnv }> {
  const java = await i.jdk.get();
  const maven = i.dep ? await installMaven(ctx, i.dep) : undefined;
  if (i.tool.wrapper) await chmod(join(i.app.dir, "mvnw"), 0o755);
  const trust = await buildTrust(ctx, i.settings, java);
  const env = withChanges(i.settings, java.env, maven?.env, trust, {
    set: {
      MAVEN_USER_HOME: join(i.repo.path, "wrapper"),
      MAVEN_OPTS: [i.settings.MAVEN_OPTS, `-Dmaven.repo.local=${join(i.repo.path, "repository")}`]
        .filter(Boolean)
        .join(" "),
    },
  });
  return { program: maven ? join(maven.home, "bin", "mvn") : join(i.app.dir, "mvnw"), env };
}

/** Runs the build, saying the command as the user would type it and how long it took. */
async function runMaven(ctx: StepContext<"log">, app: SourceApp, maven: MavenInvocation, wrapper: boolean) {
  const done = ctx.log.timer();
  ctx.log.detail(`Running ${[wrapper ? "./mvnw" : "mvn", ...maven.args].join(" ")}`);
  await runTool([maven.program, ...maven.args, ...maven.extra], {
    cwd: app.dir,
    env: maven.env,
    log: ctx.log,
    what: "Maven build",
    errorLine: mavenErrorLine,
    explain: (failure) =>
      explainMissingArtifacts("Maven build")(failure) ?? explainMissingProgram("Maven build", mavenErrorLine)(failure),
  });
  ctx.log.detail(`Built in ${done()}`);
}

/**
 * What the build made to run, and the tree Maven left (listed once here). Plain classes that
 * need their libraries get them copied first, as `mvn exec:java` would find them.
 */
async function locateRunnable(
  ctx: StepContext<"log">,
  app: SourceApp,
  maven: MavenInvocation,
  settings: Settings,
): Promise<{ runnable: Runnable; files: readonly string[] }> {
  let files = await listFiles(app.dir);
  let found = await findRunnable(app.dir, files, settings);
  if (needsDependencies(app, found.module, found.runnable)) {
    // Plain classes (no executable jar, no copied dependencies), as `mvn exec:java` runs
    // them: without their libraries they stop at the first NoClassDefFoundError.
    ctx.log.detail("The classes run with their libraries: copying them to target/dependency");
    const copy = argsForMaven(
      ["dependency:copy-dependencies", "-DincludeScope=runtime", "--batch-mode", "--no-transfer-progress"],
      maven.version,
    );
    await runTool([maven.program, ...copy, ...maven.extra], {
      cwd: app.dir,
      env: maven.env,
      log: ctx.log,
      what: "Maven dependency:copy-dependencies",
    });
    files = await withCopiedDependencies(app.dir, files);
    found = await findRunnable(app.dir, files, settings);
  }
  if (found.module !== ".") ctx.log.detail(`Module ${found.module} is the one to run`);
  ctx.log.detail(`Runs the ${describeRunnable(found.runnable)}`);
  return { runnable: found.runnable, files };
}

/** Keeps the runnable's files in the `maven_build` layer, at their app-relative paths. */
async function keepRunnable(appDir: string, r: Runnable, layerPath: string): Promise<void> {
  if (r.kind === "exploded") {
    await mkdir(join(layerPath, dirname(r.jar)), { recursive: true });
    await copyFile(join(appDir, r.jar), join(layerPath, r.jar));
  } else await saveKept(appDir, r, layerPath);
}

type MetadataTable = layers.MetadataTable;

/** Said when an unchanged tree skips Maven (restored from the native build's copy, the framework has said so). */
const UNCHANGED = "Source tree unchanged: reusing the previous build's artifact";

/** The local repository's key: a cache of released artifacts, valid for any build. */
const M2_KEY = { kind: "maven-local-repository" };

/**
 * The local repository (~/.m2) in the cache-only `maven_m2` layer, declared only when Maven
 * runs (`get`): in an emulated build whose artifact the native build shared, Maven does not
 * run, so the native build's repository is not copied in for nothing. A build that did not
 * run Maven keeps the cached one as it is for a later build (`keepIfUnused`).
 */
function localRepository(ctx: StepContext<"layers" | "multiPlatform">, neutral: true | { not: string }) {
  let m2: Layer<MetadataTable> | undefined;
  return {
    get: async () =>
      (m2 ??= await ctx.multiPlatform.cached<typeof M2_KEY, MetadataTable>("maven_m2", {
        types: { cache: true },
        key: M2_KEY,
        archNeutral: neutral,
        fill() {},
      })),
    keepIfUnused: async () => {
      if (!m2) await ctx.layers.keep("maven_m2", { types: { cache: true }, key: M2_KEY });
    },
  };
}

/** Where `mvn dependency:copy-dependencies` puts the root module's libraries. */
const DEPENDENCY_DIR = "target/dependency";

/** `files` with target/dependency listed again, after copy-dependencies wrote it. */
async function withCopiedDependencies(appDir: string, files: readonly string[]): Promise<string[]> {
  const copied = await listFiles(join(appDir, DEPENDENCY_DIR)).catch(() => []);
  const rest = files.filter((f) => !f.startsWith(`${DEPENDENCY_DIR}/`));
  return [...rest, ...copied.map((f) => `${DEPENDENCY_DIR}/${f}`)];
}

/**
 * Whether `runnable` is the root module's classes with no `target/dependency` while the pom
 * declares dependencies. Only the root module: a sub-module's reactor siblings would not
 * resolve in a second Maven run of that module alone.
 */
function needsDependencies(app: SourceApp, module: string, runnable: Runnable): boolean {
  if (module !== "." || runnable.kind !== "classpath" || runnable.dependencies) return false;
  return /<dependency>/.test(app.versionFiles.pom ?? "");
}

/** The Maven version the app's wrapper names, or undefined when it names none we can read. */
async function wrapperVersion(app: string): Promise<string | undefined> {
  const text = await readFile(join(app, ".mvn", "wrapper", "maven-wrapper.properties"), "utf8").catch(() => "");
  return wrapperMavenVersion(text);
}

/** Maven from the inventory, in a build layer (cached unless the builder carries it). */
async function installMaven(
  ctx: StepContext<"dependencies">,
  dep: ResolvedDependency,
): Promise<{ home: string; version: string; env: EnvChange }> {
  const layer = await ctx.dependencies.layer("maven", dep, { types: { build: true }, strip: dep.stripComponents ?? 1 });
  return { home: layer.path, version: dep.version, env: { path: [join(layer.path, "bin")] } };
}
