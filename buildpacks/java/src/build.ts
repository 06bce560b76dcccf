/**
 * The build, as its steps: read the app, resolve the Java version, build it with Maven or
 * Gradle (the JDK is installed only when the tool runs: an unchanged tree skips both), explode
 * the jar into the app dir (keeping what a Procfile names), install the JRE (or jlink one from
 * the JDK: BP_JVM_JLINK_ENABLED), scan the app's classes and jars, add the memory calculator
 * and the launch helpers (JDWP, CA truststore), write the app's SBOM, add Tomcat for a WAR or
 * train a CDS archive or AOT cache for Spring Boot (BP_JVM_CDS_ENABLED, BP_JVM_AOTCACHE_ENABLED),
 * and choose the processes (and Spring Boot's layer slices). Each step is a module in steps/
 * that returns what it decided.
 */
import { join } from "node:path";
import { type BuildContext, type BuildResult, CnbError, readSettings } from "@cnbkit/framework";
import { needsJdk } from "./build-tool.js";
import { detectJvmFramework } from "./jvm-framework.js";
import type { Runnable } from "./runnable.js";
import { runnableCommand } from "./runnable-command.js";
import { addLaunchHelpers } from "./steps/add-launch-helpers.js";
import { addMemoryCalculator } from "./steps/add-memory-calculator.js";
import { addShellFreeLaunch, runImageHasShell } from "./steps/add-shell-free-launch.js";
import { addTomcat } from "./steps/add-tomcat.js";
import { appSbom } from "./steps/app-sbom.js";
import { buildWithGradle } from "./steps/build-with-gradle.js";
import { buildWithMaven } from "./steps/build-with-maven.js";
import { explodeApp } from "./steps/explode-app.js";
import { runnableIn } from "./steps/find-runnable.js";
import { buildJdk } from "./steps/install-jdk.js";
import { installJre } from "./steps/install-jre.js";
import { keepProcfilePaths } from "./steps/keep-procfile-paths.js";
import { jlinkRuntime } from "./steps/jlink-runtime.js";
import { launchApp } from "./steps/launch-app.js";
import { readApp } from "./steps/read-app.js";
import { scanApp } from "./steps/scan-app.js";
import { listFiles } from "./steps/source-tree.js";
import { stageApp } from "./steps/stage-app.js";
import { trainStartupCache } from "./steps/train-startup-cache.js";
import { type JavaMetadata, resolveJvm } from "./steps/resolve-jvm.js";

type KeptRunnable = Exclude<Runnable, { kind: "exploded" }>;

/** Builds a Java app. */
export async function build(ctx: BuildContext<JavaMetadata>): Promise<BuildResult> {
  const settings = readSettings(ctx);
  const app = await readApp(ctx.app);
  const tool = app.tool;
  if (!tool) {
    throw new CnbError(
      "no pom.xml, mvnw, build.gradle(.kts), gradlew, executable jar or META-INF/MANIFEST.MF in the app",
    );
  }
  const jlink = settings.BP_JVM_JLINK_ENABLED?.trim().toLowerCase() === "true";
  const jvm = resolveJvm(ctx, settings, app, { build: needsJdk(tool), jlink });
  // Installed only when something runs it: Maven or Gradle on a changed tree, or jlink.
  const jdk = jvm.jdk ? buildJdk(ctx, jvm.jdk) : undefined;
  let jar: string | undefined;
  let kept: { runnable: KeptRunnable; root: string } | undefined;
  if (tool.kind === "jar") {
    // A root jar whose Class-Path names files beside it (quarkus-run.jar with lib/) is kept.
    const r = await runnableIn(ctx.app.path, ".", await listFiles(ctx.app.path));
    if (r?.kind === "jar" && r.jar === tool.jar) kept = { runnable: r, root: ctx.app.path };
    else jar = `${ctx.app.path}/${tool.jar}`;
  } else if (jdk && tool.kind === "maven") {
    const built = await buildWithMaven(ctx, settings, tool, jdk);
    if (built.runnable.kind === "exploded") jar = `${built.root}/${built.runnable.jar}`;
    else kept = { runnable: built.runnable, root: built.root };
  } else if (jdk && tool.kind === "gradle") jar = (await buildWithGradle(ctx, settings, tool, jdk)).artifact;
  if (kept) {
    ctx.log.step("Application");
    await stageApp(ctx, kept.runnable, kept.root);
  }
  const restoreProcfilePaths = await keepProcfilePaths(ctx, jar);
  const { manifest, jarSha256 } = await explodeApp(ctx, jar);
  await restoreProcfilePaths();
  const runtime =
    jlink && jdk && jvm.jdk
      ? await jlinkRuntime(ctx, settings, jdk, jvm.jdk, jarSha256)
      : await installJre(ctx, jvm.jre);
  const scan = await scanApp(ctx, jarSha256);
  const framework = detectJvmFramework(await listFiles(ctx.app.path));
  if (runImageHasShell(settings)) {
    await addMemoryCalculator(ctx, scan.classes);
    await addLaunchHelpers(ctx, framework);
  } else await addShellFreeLaunch(ctx, framework);
  appSbom(ctx, scan.libraries);
  if (!kept) return launchApp(ctx, manifest, await trainStartupCache(ctx, settings, manifest, runtime));
  const r = kept.runnable;
  const war =
    r.kind === "war"
      ? {
          tomcat: await addTomcat(ctx, join(ctx.app.path, r.war), jvm.jre.version, settings.BP_TOMCAT_VERSION),
          appDir: ctx.app.path,
        }
      : undefined;
  return launchApp(ctx, manifest, runnableCommand(r, war), war ? ["web", "tomcat"] : undefined);
}
