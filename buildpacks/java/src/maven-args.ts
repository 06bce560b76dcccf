/**
 * Maven's command line and which built artifact to run, from the BP_MAVEN_* settings (the
 * names and defaults follow Paketo's maven buildpack):
 * - BP_MAVEN_BUILD_ARGUMENTS replaces the default `package -DskipTests --batch-mode --no-transfer-progress`;
 * - BP_MAVEN_ADDITIONAL_BUILD_ARGUMENTS is appended; BP_MAVEN_ACTIVE_PROFILES becomes `-P<profiles>`;
 * - BP_MAVEN_BUILT_MODULE names the module whose `target/` holds the artifact;
 * - BP_MAVEN_BUILT_ARTIFACT is a glob for it (default `target/*.[ejw]ar`, under the module).
 * Pure: the caller lists the files.
 */
import { CnbError } from "@cnbkit/framework";
import { globToRegExp } from "@cnbkit/framework/fs";
import { shellWords } from "@cnbkit/framework/process";

/** Maven's default goals and flags. */
export const DEFAULT_MAVEN_ARGUMENTS = "package -DskipTests --batch-mode --no-transfer-progress";

/** Maven's arguments for this build. */
export function mavenArguments(env: Record<string, string | undefined>): string[] {
  const base = env.BP_MAVEN_BUILD_ARGUMENTS?.trim() || DEFAULT_MAVEN_ARGUMENTS;
  const args = shellWords(base, "BP_MAVEN_BUILD_ARGUMENTS");
  const extra = env.BP_MAVEN_ADDITIONAL_BUILD_ARGUMENTS?.trim();
  if (extra) args.push(...shellWords(extra, "BP_MAVEN_ADDITIONAL_BUILD_ARGUMENTS"));
  const profiles = env.BP_MAVEN_ACTIVE_PROFILES?.trim();
  if (profiles) args.push(`-P${profiles}`);
  return args;
}

/** The glob, relative to the app root, that the built artifact must match. */
export function builtArtifactPattern(env: Record<string, string | undefined>): string {
  const explicit = env.BP_MAVEN_BUILT_ARTIFACT?.trim();
  if (explicit) return explicit;
  const module = env.BP_MAVEN_BUILT_MODULE?.trim().replace(/\/+$/, "");
  return `${module ? `${module}/` : ""}target/*.[ejw]ar`;
}

/** Which build tool made the artifacts, for {@link chooseBuiltArtifact}'s messages. */
export interface ArtifactSource {
  /** "Maven" or "Gradle". */
  tool: string;
  /** The setting that names the artifact, e.g. BP_MAVEN_BUILT_ARTIFACT. */
  artifactSetting: string;
  /** The setting that names the module, e.g. BP_MAVEN_BUILT_MODULE. */
  moduleSetting: string;
}

const MAVEN: ArtifactSource = {
  tool: "Maven",
  artifactSetting: "BP_MAVEN_BUILT_ARTIFACT",
  moduleSetting: "BP_MAVEN_BUILT_MODULE",
};

/**
 * The one built artifact among `files` (app-relative paths) matching `pattern`. Maven's
 * `.original` and Gradle's `-plain.jar` leftovers are not candidates when a real one is there.
 */
export function chooseBuiltArtifact(
  pattern: string,
  files: readonly string[],
  explicit: boolean,
  source: ArtifactSource = MAVEN,
): string {
  const re = globToRegExp(pattern);
  const matches = files.filter((f) => re.test(f)).sort();
  const real = matches.filter((f) => !/(-plain\.jar|\.original)$/.test(f));
  const candidates = real.length > 0 ? real : matches;
  if (candidates.length === 1) return candidates[0] as string;
  if (candidates.length === 0) {
    throw new CnbError(`the ${source.tool} build produced no file matching ${pattern}`, {
      hint: `Set ${source.artifactSetting} (or ${source.moduleSetting}) to where the build puts the jar`,
    });
  }
  throw new CnbError(
    `the ${source.tool} build produced ${candidates.length} files matching ${pattern}: ${candidates.join(", ")}`,
    {
      hint: explicit
        ? `Make ${source.artifactSetting} match one of them`
        : `Set ${source.artifactSetting} to the one to run`,
    },
  );
}
