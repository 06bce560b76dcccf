/**
 * The build, as its steps: read the app (its source tree listed once, steps/read-app.ts),
 * resolve the Java version, build it with Maven or Gradle or take it prebuilt
 * (steps/build-app.ts: the JDK is installed only when a tool runs, and an unchanged tree skips
 * both), explode the jar into the app dir (keeping what a Procfile names) or keep what the
 * build laid out (a WAR is then exploded into the app dir, which Tomcat serves), install the JRE (or jlink one from the JDK: BP_JVM_JLINK_ENABLED), scan the
 * app's classes and jars, add the memory calculator and the launch helpers (JDWP, CA
 * truststore), write the app's SBOM, add Tomcat for a WAR or train a CDS archive or AOT cache
 * for Spring Boot (BP_JVM_CDS_ENABLED, BP_JVM_AOTCACHE_ENABLED), and choose the processes (and
 * Spring Boot's layer slices).
 *
 * The app's facts are worked out once per state of the app dir and handed on as values: the
 * source app (tool, manifest, version files, Procfile, files), the built app (what runs, and
 * the files the build left), and the launch tree (steps/launch-tree.ts: the files the image
 * gets, which the scan, jdeps and the framework's signs read). Each step is a
 * module in steps/ that takes the parts of the context it names (steps/step-context.ts) and
 * returns what it decided.
 */
import { type BuildContext, type BuildResult, readSettings } from "@cnbkit/framework";
import { needsJdk } from "./build-tool.js";
import { detectJvmFramework } from "./jvm-framework.js";
import { runnableCommand } from "./runnable-command.js";
import { addLaunchHelpers } from "./steps/add-launch-helpers.js";
import { addMemoryCalculator } from "./steps/add-memory-calculator.js";
import { addShellFreeLaunch, runImageHasShell } from "./steps/add-shell-free-launch.js";
import { addTomcat } from "./steps/add-tomcat.js";
import { appSbom } from "./steps/app-sbom.js";
import { buildApp } from "./steps/build-app.js";
import { explodeApp } from "./steps/explode-app.js";
import { explodeWar } from "./steps/explode-war.js";
import { buildJdk } from "./steps/install-jdk.js";
import { installJre } from "./steps/install-jre.js";
import { keepProcfilePaths } from "./steps/keep-procfile-paths.js";
import { jlinkRuntime } from "./steps/jlink-runtime.js";
import { launchApp } from "./steps/launch-app.js";
import { readLaunchTree } from "./steps/launch-tree.js";
import { readSourceApp } from "./steps/read-app.js";
import { scanApp } from "./steps/scan-app.js";
import { stageApp } from "./steps/stage-app.js";
import { trainStartupCache } from "./steps/train-startup-cache.js";
import type { JavaMetadata } from "./java-metadata.js";
import { resolveJvm } from "./steps/resolve-jvm.js";

/** Builds a Java app. */
export async function build(ctx: BuildContext<JavaMetadata>): Promise<BuildResult> {
  const settings = readSettings(ctx);
  const app = await readSourceApp(ctx.app);
  const jlink = settings.BP_JVM_JLINK_ENABLED?.trim().toLowerCase() === "true";
  const jvm = resolveJvm(ctx, settings, app, { build: needsJdk(app.tool), jlink });
  // Installed only when something runs it: Maven or Gradle on a changed tree, or jlink.
  const jdk = jvm.jdk ? await buildJdk(ctx, jvm.jdk) : undefined;
  const built = await buildApp(ctx, settings, app, jdk);
  if (built.kind === "keep") {
    ctx.log.step("Application");
    await stageApp(ctx, built.runnable, built.root);
  }
  const restoreProcfilePaths = await keepProcfilePaths(ctx, app, built);
  const { manifest, jarSha256 } = await explodeApp(ctx, built.kind === "explode" ? built.jar : undefined);
  await restoreProcfilePaths();
  const exploded =
    built.kind === "keep" && built.runnable.kind === "war" ? await explodeWar(ctx, built.runnable.war) : undefined;
  const tree = await readLaunchTree(app.dir, built, jarSha256 ?? exploded?.sha256);
  const runtime =
    jlink && jdk && jvm.jdk ? await jlinkRuntime(ctx, settings, jdk, jvm.jdk, tree) : await installJre(ctx, jvm.jre);
  const scan = await scanApp(ctx, tree);
  const framework = detectJvmFramework(tree.files);
  if (runImageHasShell(settings)) {
    await addMemoryCalculator(ctx, scan.classes);
    await addLaunchHelpers(ctx, framework);
  } else await addShellFreeLaunch(ctx, framework, scan.classes);
  appSbom(ctx, scan.libraries);
  if (built.kind === "explode") {
    return launchApp(ctx, manifest, await trainStartupCache(ctx, settings, manifest, runtime));
  }
  const r = built.runnable;
  const war = exploded
    ? { tomcat: await addTomcat(ctx, exploded.facts, jvm.jre.version, settings.BP_TOMCAT_VERSION), appDir: app.dir }
    : undefined;
  return launchApp(ctx, manifest, runnableCommand(r, war), war ? ["web", "tomcat"] : undefined);
}
