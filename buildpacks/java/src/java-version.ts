/**
 * Which Java version an app asks for, and where it said so.
 *
 * Order (first found wins, as Paketo's libjvm and Heroku's jvm buildpack read them):
 * BP_JVM_VERSION, `system.properties` java.runtime.version, `.sdkmanrc` java=, pom.xml
 * (see {@link POM_VERSION_TAGS}), build.gradle(.kts) (toolchain `languageVersion`,
 * `jvmToolchain(N)`, then `sourceCompatibility`/`targetCompatibility`), the jar manifest's
 * `Build-Jdk-Spec`, then the default line. File contents are passed in; nothing is read here.
 */
import { CnbError } from "@cnbkit/framework";

/** Where a version request came from. */
export type JavaVersionSource =
  | "BP_JVM_VERSION"
  | "system.properties"
  | ".sdkmanrc"
  | "pom.xml"
  | "build.gradle"
  | "MANIFEST.MF Build-Jdk-Spec"
  | "default";

/** A request: a semver range for the inventory, the text as written, and its source. */
export interface JavaVersionRequest {
  range: string;
  raw: string;
  source: JavaVersionSource;
}

/** What {@link resolveJavaVersion} looks at. */
export interface JavaVersionInputs {
  env: Record<string, string | undefined>;
  systemProperties?: string | undefined;
  sdkmanrc?: string | undefined;
  pom?: string | undefined;
  /** build.gradle or build.gradle.kts. */
  gradle?: string | undefined;
  /** The app's (or its jar's) manifest `Build-Jdk-Spec`. */
  buildJdkSpec?: string | undefined;
  /** The default line, e.g. `21`. */
  defaultVersion: string;
}

/**
 * Picks the Java version for a build.
 *
 * @example
 * resolveJavaVersion({ env: {}, pom: "<java.version>17</java.version>", defaultVersion: "21" })
 * // { range: "17.x", raw: "17", source: "pom.xml" }
 */
export function resolveJavaVersion(inputs: JavaVersionInputs): JavaVersionRequest {
  const candidates: [JavaVersionSource, string | undefined][] = [
    ["BP_JVM_VERSION", inputs.env.BP_JVM_VERSION?.trim()],
    ["system.properties", property(inputs.systemProperties, "java.runtime.version")],
    [".sdkmanrc", sdkmanJava(inputs.sdkmanrc)],
    ["pom.xml", pomJava(inputs.pom)],
    ["build.gradle", gradleJava(inputs.gradle)],
    ["MANIFEST.MF Build-Jdk-Spec", inputs.buildJdkSpec?.trim()],
  ];
  for (const [source, raw] of candidates) {
    if (raw) return { range: javaRange(raw, source), raw, source };
  }
  return { range: javaRange(inputs.defaultVersion, "default"), raw: inputs.defaultVersion, source: "default" };
}

/**
 * Java version text as a semver range: `17` → `17.x`, `1.8` → `8.x`, `17.0.9` → `17.0.9`,
 * `21.*` → `21.*`. Throws one line naming `where` for anything else.
 */
export function javaRange(text: string, where: string): string {
  const t = text.trim().replace(/^1\.(?=\d)/, "");
  if (/^\d+$/.test(t)) return `${t}.x`;
  if (/^\d+(\.(\d+|\*|x))*$/.test(t)) return t;
  throw new CnbError(`${where}: "${text}" is not a Java version`, { hint: 'Use a major version such as "17" or "21"' });
}

/** The value of `key` in a Java properties file, if set. */
function property(text: string | undefined, key: string): string | undefined {
  for (const line of (text ?? "").split(/\r?\n/)) {
    const m = /^\s*([^#!=:\s]+)\s*[=:]\s*(.*?)\s*$/.exec(line);
    if (m?.[1] === key && m[2]) return m[2];
  }
  return undefined;
}

/** `.sdkmanrc`'s `java=17.0.9-tem` → `17.0.9` (the vendor suffix says nothing to this inventory). */
function sdkmanJava(text: string | undefined): string | undefined {
  const v = property(text, "java");
  return v?.replace(/-[A-Za-z].*$/, "").replace(/\.r\d+$/, "");
}

/**
 * The pom.xml tags that state the Java version, most specific first: what javac is told
 * (`release`, then `source`/`target`), then the properties a parent POM turns into those
 * (Spring Boot's `java.version`, Micronaut's `jdk.version` and `release.version`). A
 * `<release>`, `<source>` or `<target>` counts only inside the maven-compiler-plugin, where
 * Maven reads it (`<source>` also names source folders in other plugins).
 */
export const POM_VERSION_TAGS = [
  "maven.compiler.release",
  "plugin:release",
  "java.version",
  "jdk.version",
  "release.version",
  "maven.compiler.source",
  "maven.compiler.target",
  "plugin:source",
  "plugin:target",
] as const;

/** The text of the first `<name>` element in `xml`, trimmed. */
function xmlTag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name.replace(/\./g, "\\.")}>\\s*([^<]*?)\\s*</`).exec(xml)?.[1];
}

/** `value` with every `${property}` replaced from the pom's own tags, or undefined if one is not there. */
function expandProperties(xml: string, value: string, depth = 0): string | undefined {
  if (depth > 5) return undefined;
  let unresolved = false;
  const out = value.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
    const v = xmlTag(xml, name);
    const expanded = v === undefined ? undefined : expandProperties(xml, v, depth + 1);
    if (expanded === undefined) unresolved = true;
    return expanded ?? "";
  });
  return unresolved ? undefined : out;
}

/** pom.xml's Java version from {@link POM_VERSION_TAGS}, with `${property}` references resolved. */
function pomJava(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const xml = text.replace(/<!--[\s\S]*?-->/g, "");
  const compiler = [...xml.matchAll(/<plugin>([\s\S]*?)<\/plugin>/g)]
    .map((m) => m[1] as string)
    .filter((p) => /<artifactId>\s*maven-compiler-plugin\s*</.test(p))
    .join("\n");
  for (const name of POM_VERSION_TAGS) {
    const value = name.startsWith("plugin:") ? xmlTag(compiler, name.slice(7)) : xmlTag(xml, name);
    const resolved = value === undefined ? undefined : expandProperties(xml, value);
    // Only a version: `${java.version}` with no such property is the running JVM's, not a request.
    if (resolved && /^\d+(\.\d+)*$/.test(resolved)) return resolved;
  }
  return undefined;
}

/**
 * build.gradle(.kts)'s version: the toolchain (`languageVersion = JavaLanguageVersion.of(17)`,
 * `languageVersion.set(...)`, Kotlin's `jvmToolchain(17)`), else `sourceCompatibility` then
 * `targetCompatibility` (`= 1.8`, `= '11'`, `= JavaVersion.VERSION_1_7`, `= JavaVersion.VERSION_17`).
 */
function gradleJava(text: string | undefined): string | undefined {
  const t = (text ?? "").replace(/^\s*\/\/.*$/gm, "");
  const toolchain =
    /languageVersion(?:\s*=\s*|\.set\(\s*)JavaLanguageVersion\.of\(\s*["']?(\d+)["']?\s*\)/.exec(t)?.[1] ??
    /jvmToolchain\(\s*(\d+)\s*\)/.exec(t)?.[1];
  if (toolchain) return toolchain;
  for (const key of ["sourceCompatibility", "targetCompatibility"]) {
    const m = new RegExp(
      `\\b${key}\\s*=\\s*(?:JavaVersion\\.VERSION_(\\d+(?:_\\d+)?)|["']?(\\d+(?:\\.\\d+)?)["']?)`,
    ).exec(t);
    const v = m?.[1]?.replace("_", ".") ?? m?.[2];
    if (v) return v;
  }
  return undefined;
}

/** The log line for a request, e.g. `pom.xml: "17" → "17.x" (BP_JVM_VERSION unset)`. */
export function describeJavaVersionRequest(req: JavaVersionRequest): string {
  if (req.source === "default") return `No version requested; using the default Java ${req.raw}`;
  const suffix = req.source === "BP_JVM_VERSION" ? "" : "  (BP_JVM_VERSION unset)";
  return `${req.source}: "${req.raw}"${req.range !== req.raw ? ` → "${req.range}"` : ""}${suffix}`;
}
