/**
 * How an app becomes something to run: built by Maven (its wrapper, else Maven from the
 * inventory), built by Gradle (its wrapper, else Gradle from the inventory), or already built (an executable jar in the app
 * dir, or an exploded jar with META-INF/MANIFEST.MF), which needs no JDK at all.
 * Pure: the caller lists the app's files and reads the jars' manifests.
 */
import { CnbError } from "@cnbkit/framework";

/** The chosen way to build. */
export type BuildTool =
  | { kind: "maven"; wrapper: boolean; dir: string }
  | { kind: "gradle"; wrapper: boolean; dir: string }
  | { kind: "jar"; jar: string }
  | { kind: "exploded" };

/** What {@link chooseBuildTool} looks at. */
export interface BuildToolInputs {
  /** Which of the marker files exist at the app root. */
  has: (file: string) => boolean;
  /** Jars at the app root with their manifest's Main-Class (undefined: not executable). */
  jars: readonly { path: string; mainClass?: string | undefined }[];
  /** A polyglot Maven pom (pom.yaml, pom.groovy, ...) that .mvn/extensions.xml enables (polyglot-maven.ts). */
  polyglotPom?: string | undefined;
}

/** Files whose presence makes this a Java app (detect passes on any). */
export const JAVA_MARKERS: readonly string[] = [
  "pom.xml",
  "mvnw",
  "build.gradle",
  "build.gradle.kts",
  "settings.gradle",
  "settings.gradle.kts",
  "gradlew",
  "META-INF/MANIFEST.MF",
  ".mvn/extensions.xml",
];

/** Files that make this a Gradle project (Maven's win when both are there). */
const GRADLE_MARKERS = ["gradlew", "build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"];

/**
 * Chooses how to build, or undefined when nothing here is Java.
 *
 * @example
 * chooseBuildTool({ has: (f) => f === "pom.xml", jars: [] }) // { kind: "maven", wrapper: false, dir: "." }
 */
export function chooseBuildTool(inputs: BuildToolInputs): BuildTool | undefined {
  const { has } = inputs;
  if (has("mvnw") || has("pom.xml") || inputs.polyglotPom) return { kind: "maven", wrapper: has("mvnw"), dir: "." };
  if (GRADLE_MARKERS.some(has)) return { kind: "gradle", wrapper: has("gradlew"), dir: "." };
  const executable = inputs.jars.filter((j) => j.mainClass !== undefined);
  if (executable.length > 1) {
    throw new CnbError(
      `the app has ${executable.length} executable jars (${executable.map((j) => j.path).join(", ")}); cnbkit/java runs one`,
      { hint: "Keep only the jar to run in the app directory" },
    );
  }
  if (executable[0]) return { kind: "jar", jar: executable[0].path };
  if (has("META-INF/MANIFEST.MF")) return { kind: "exploded" };
  return undefined;
}

/** Whether a build tool needs a JDK (a prebuilt app needs only a JRE). */
export function needsJdk(tool: BuildTool): boolean {
  return tool.kind === "maven" || tool.kind === "gradle";
}
