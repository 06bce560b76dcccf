/**
 * Gradle's command line and which built artifact to run, from the BP_GRADLE_* settings (the
 * names follow Paketo's gradle buildpack):
 * - BP_GRADLE_BUILD_ARGUMENTS replaces the default `--no-daemon assemble -x test`;
 * - BP_GRADLE_ADDITIONAL_BUILD_ARGUMENTS is appended;
 * - BP_GRADLE_BUILT_MODULE names the project whose `build/libs/` holds the artifact;
 * - BP_GRADLE_BUILT_ARTIFACT is a glob for it (default `build/libs/*.[jw]ar`, under the
 *   module; Spring Boot's `-plain.jar` is never chosen over the real one).
 * Pure: the caller lists the files.
 */
import { shellWords } from "@cnbkit/framework/process";
import type { ArtifactSource } from "./maven-args.js";

/** Gradle's default tasks and flags: no daemon outliving the build, no tests. */
export const DEFAULT_GRADLE_ARGUMENTS = "--no-daemon assemble -x test";

/** How the Gradle build names its settings in messages. */
export const GRADLE_ARTIFACTS: ArtifactSource = {
  tool: "Gradle",
  artifactSetting: "BP_GRADLE_BUILT_ARTIFACT",
  moduleSetting: "BP_GRADLE_BUILT_MODULE",
};

/** Gradle's arguments for this build (before any `--init-script` from a binding). */
export function gradleArguments(env: Record<string, string | undefined>): string[] {
  const base = env.BP_GRADLE_BUILD_ARGUMENTS?.trim() || DEFAULT_GRADLE_ARGUMENTS;
  const args = shellWords(base, "BP_GRADLE_BUILD_ARGUMENTS");
  const extra = env.BP_GRADLE_ADDITIONAL_BUILD_ARGUMENTS?.trim();
  if (extra) args.push(...shellWords(extra, "BP_GRADLE_ADDITIONAL_BUILD_ARGUMENTS"));
  return args;
}

/** The glob, relative to the app root, that Gradle's built artifact must match. */
export function gradleArtifactPattern(env: Record<string, string | undefined>): string {
  const explicit = env.BP_GRADLE_BUILT_ARTIFACT?.trim();
  if (explicit) return explicit;
  const module = env.BP_GRADLE_BUILT_MODULE?.trim().replace(/\/+$/, "");
  return `${module ? `${module}/` : ""}build/libs/*.[jw]ar`;
}
