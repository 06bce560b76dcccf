/**
 * The build, as its steps: read the app, resolve the Java version, install the JDK (only
 * when the app must be compiled, or jlinked) and build it with Maven or Gradle, explode the jar into the app dir, install
 * the JRE (or jlink one from the JDK: BP_JVM_JLINK_ENABLED) with the memory calculator and the launch helpers (JDWP, CA truststore), write the app's SBOM, and choose the processes (and
 * Spring Boot's layer slices). Each step is a module in steps/ that returns what it decided.
 */
import { type BuildContext, type BuildResult, CnbError, readSettings } from "@cnbkit/framework";
import { needsJdk } from "./build-tool.js";
import { addLaunchHelpers } from "./steps/add-launch-helpers.js";
import { addMemoryCalculator } from "./steps/add-memory-calculator.js";
import { appSbom } from "./steps/app-sbom.js";
import { buildWithGradle } from "./steps/build-with-gradle.js";
import { buildWithMaven } from "./steps/build-with-maven.js";
import { explodeApp } from "./steps/explode-app.js";
import { installJdk, type Jdk } from "./steps/install-jdk.js";
import { installJre } from "./steps/install-jre.js";
import { jlinkRuntime } from "./steps/jlink-runtime.js";
import { launchApp } from "./steps/launch-app.js";
import { readApp } from "./steps/read-app.js";
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
  const jvm = resolveJvm(ctx, settings, app, needsJdk(tool) || jlink);
  let jar: string | undefined;
  let jdk: Jdk | undefined;
  if (tool.kind === "jar") jar = `${ctx.app.path}/${tool.jar}`;
  else if (jvm.jdk && (tool.kind === "maven" || tool.kind === "gradle")) {
    jdk = await installJdk(ctx, jvm.jdk);
    const built =
      tool.kind === "maven"
        ? await buildWithMaven(ctx, settings, tool, jdk)
        : await buildWithGradle(ctx, settings, tool, jdk);
    jar = built.artifact;
  }
  const manifest = await explodeApp(ctx, jar);
  if (jlink && jvm.jdk) await jlinkRuntime(ctx, settings, jdk ?? (await installJdk(ctx, jvm.jdk)), jvm.jdk);
  else await installJre(ctx, jvm.jre);
  await addMemoryCalculator(ctx);
  await addLaunchHelpers(ctx);
  await appSbom(ctx);
  return launchApp(ctx, manifest);
}
