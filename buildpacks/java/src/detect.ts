/**
 * Detect: passes for a Maven or Gradle project (pom.xml, mvnw, build.gradle(.kts),
 * settings.gradle(.kts), gradlew),
 * an executable jar at the app root, or an exploded jar (META-INF/MANIFEST.MF). Provides and
 * requires `jvm-application`, so a later buildpack (or a composite) can build on it.
 */
import { CnbError, type DetectContext, type DetectResult, detectRules } from "@cnbkit/framework";
import { JAVA_MARKERS } from "./build-tool.js";
import { readApp } from "./steps/read-app.js";
import type { JavaMetadata } from "./java-metadata.js";

const FAIL = "no pom.xml, mvnw, build.gradle(.kts), gradlew, executable jar or META-INF/MANIFEST.MF in the app";

/**
 * Detects a Java app, declared as rules so that the packaged bin/detect is a sh script: an
 * app with no Java marker, no `*.jar` entry and no version file (which readApp reads, and
 * whose read errors make detect pass as "invalid") fails without starting Node.
 */
export const detect = detectRules<JavaMetadata>({
  rules: [
    { when: { anyFile: [...JAVA_MARKERS, "system.properties", ".sdkmanrc"] }, outcome: "code" },
    { when: { suffix: ".jar" }, outcome: "code" },
  ],
  otherwise: { fail: FAIL },
  code: detectCode,
});

/** The TypeScript detect: reads the app as build will, jars' manifests included. */
async function detectCode(ctx: DetectContext<JavaMetadata>): Promise<DetectResult> {
  // A Java app that cannot be built as it is (two executable jars) still passes: build then
  // says what is wrong, in one line, instead of the group silently falling through to another
  // buildpack.
  const tool = await readApp(ctx.app).then(
    (app) => app.tool?.kind,
    (err: unknown) => {
      if (err instanceof CnbError) return "invalid";
      throw err;
    },
  );
  if (!tool) {
    return ctx.fail(FAIL);
  }
  return ctx.pass({
    provides: [{ name: "jvm-application" }],
    requires: [{ name: "jvm-application", metadata: { launch: true, tool } }],
  });
}
