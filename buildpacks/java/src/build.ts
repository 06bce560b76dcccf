/**
 * The build, as its steps: read the app, resolve the Java version, build it with Maven or
 * Gradle (the JDK is installed only when the tool runs: an unchanged tree skips both), explode
 * the jar into the app dir (keeping what a Procfile names), install the JRE (or jlink one from the JDK: BP_JVM_JLINK_ENABLED),
 * scan the app's classes and jars, add the memory calculator and the launch helpers (JDWP, CA
 * truststore), write the app's SBOM, and choose the processes (and Spring Boot's layer slices). Each step is a module in steps/ that returns what it decided.
 */
import { type BuildContext, type BuildResult, CnbError, readSettings } from "@cnbkit/framework";
import { needsJdk } from "./build-tool.js";
import { addLaunchHelpers } from "./steps/add-launch-helpers.js";
import { addMemoryCalculator } from "./steps/add-memory-calculator.js";
import { appSbom } from "./steps/app-sbom.js";
import { buildWithGradle } from "./steps/build-with-gradle.js";
import { buildWithMaven } from "./steps/build-with-maven.js";
import { explodeApp } from "./steps/explode-app.js";
import { buildJdk } from "./steps/install-jdk.js";
import { installJre } from "./steps/install-jre.js";
import { keepProcfilePaths } from "./steps/keep-procfile-paths.js";
import { jlinkRuntime } from "./steps/jlink-runtime.js";
import { launchApp } from "./steps/launch-app.js";
import { readApp } from "./steps/read-app.js";
import { scanApp } from "./steps/scan-app.js";
import { type JavaMetadata, resolveJvm } from "./steps/resolve-jvm.js";

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
  if (tool.kind === "jar") jar = `${ctx.app.path}/${tool.jar}`;
  else if (jdk && (tool.kind === "maven" || tool.kind === "gradle")) {
    const built =
      tool.kind === "maven"
        ? await buildWithMaven(ctx, settings, tool, jdk)
        : await buildWithGradle(ctx, settings, tool, jdk);
    jar = built.artifact;
  }
  const restoreProcfilePaths = await keepProcfilePaths(ctx, jar);
  const { manifest, jarSha256 } = await explodeApp(ctx, jar);
  await restoreProcfilePaths();
  if (jlink && jdk && jvm.jdk) await jlinkRuntime(ctx, settings, jdk, jvm.jdk);
  else await installJre(ctx, jvm.jre);
  const scan = await scanApp(ctx, jarSha256);
  await addMemoryCalculator(ctx, scan.classes);
  await addLaunchHelpers(ctx);
  appSbom(ctx, scan.libraries);
  return launchApp(ctx, manifest);
}
