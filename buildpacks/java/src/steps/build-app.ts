/**
 * Step: what the build leaves to run, from the source app. Maven or Gradle build it (the JDK
 * is installed only when the tool runs: an unchanged tree skips both), or it is prebuilt: a
 * jar at the app root, or an app given exploded. The result is one of two shapes:
 * - a jar to explode into the app dir (Spring Boot's and other executable jars; `undefined`
 *   for an app that is already exploded);
 * - files kept as the build laid them out (Quarkus' fast-jar, a thin jar with its libs/, a
 *   WAR, classes with their dependencies: runnable.ts), at `root`.
 * Either way it carries the app dir's files as the build left them, listed at most once per
 * change to the tree, so no later step lists them again.
 */
import type { Settings } from "@cnbkit/framework";
import type { KeptRunnable } from "../runnable.js";
import { buildWithGradle } from "./build-with-gradle.js";
import { buildWithMaven } from "./build-with-maven.js";
import { runnableIn } from "./find-runnable.js";
import type { BuildJdk } from "./install-jdk.js";
import type { SourceApp } from "./read-app.js";
import type { StepContext } from "./step-context.js";

/** What the build left to run. */
export type BuiltApp =
  | {
      kind: "explode";
      /** The jar to unpack into the app dir (absolute: in the app dir or a build's cache layer); undefined: already exploded. */
      jar: string | undefined;
      /** App-relative paths of the app dir's files as the build left them. */
      files: readonly string[];
    }
  | {
      kind: "keep";
      runnable: KeptRunnable;
      /** Where the runnable's files are, at their app-relative paths (a build's cache layer, or the app dir). */
      root: string;
      /** App-relative paths of the app dir's files as the build left them. */
      files: readonly string[];
    };

/** Builds the app with its tool, or takes it as it is; `jdk` is there when the tool needs one. */
export async function buildApp(
  ctx: StepContext<"layers" | "multiPlatform" | "log" | "dependencies" | "platform">,
  settings: Settings,
  app: SourceApp,
  jdk: BuildJdk | undefined,
): Promise<BuiltApp> {
  const tool = app.tool;
  switch (tool.kind) {
    case "jar": {
      // A root jar whose Class-Path names files beside it (quarkus-run.jar with lib/) is kept.
      const r = await runnableIn(app.dir, ".", app.files);
      if (r?.kind === "jar" && r.jar === tool.jar)
        return { kind: "keep", runnable: r, root: app.dir, files: app.files };
      return { kind: "explode", jar: `${app.dir}/${tool.jar}`, files: app.files };
    }
    case "exploded":
      return { kind: "explode", jar: undefined, files: app.files };
    case "maven": {
      const built = await buildWithMaven(ctx, settings, app, tool, needJdk(jdk));
      const r = built.runnable;
      if (r.kind === "exploded") return { kind: "explode", jar: `${built.root}/${r.jar}`, files: built.files };
      return { kind: "keep", runnable: r, root: built.root, files: built.files };
    }
    case "gradle": {
      const built = await buildWithGradle(ctx, settings, app, tool, needJdk(jdk));
      return { kind: "explode", jar: built.artifact, files: built.files };
    }
  }
}

/** The JDK a build tool needs; resolveJvm resolves one for every tool that builds. */
function needJdk(jdk: BuildJdk | undefined): BuildJdk {
  if (!jdk) throw new Error("a Maven or Gradle build without a JDK: resolveJvm should have resolved one");
  return jdk;
}
