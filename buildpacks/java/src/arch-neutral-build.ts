/**
 * Whether a Maven or Gradle build's output can be shared between the platforms of one
 * multi-platform build (`ctx.multiPlatform.cached`'s `archNeutral` layers): javac's output and
 * the jars a build resolves do not depend on the CPU, unless the build asks which CPU it runs
 * on. This reads the app's build files for the ways a build does that:
 * - os-maven-plugin / Gradle's osdetector (`${os.detected.classifier}`: netty-tcnative, grpc's
 *   protoc, …), `os.arch` read by the build;
 * - a Maven profile activated by `<os><arch>`;
 * - a native-image or JNI build (GraalVM's native build tools, nar-maven-plugin, Gradle's
 *   native platform).
 * Any of them and the build runs on each platform, as before. A native binary that the build
 * puts in its output anyway is caught by the framework, which never shares an ELF file.
 */

/** The patterns and what each means, for the one log line. */
const ARCH_DEPENDENT: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /os-maven-plugin|os\.detected|osdetector/, what: "detects the OS and CPU (os-maven-plugin / osdetector)" },
  { pattern: /\bos\.arch\b/, what: "reads os.arch" },
  { pattern: /<os>(?:(?!<\/os>)[\s\S])*<arch>/, what: "has a profile activated by the CPU (<os><arch>)" },
  {
    pattern: /native-maven-plugin|org\.graalvm\.buildtools|nar-maven-plugin|nativeplatform|cpp-application|cpp-library/,
    what: "compiles native code",
  },
];

/** Build files whose text decides: every pom.xml and build script in the tree. */
export function isBuildFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return /^(pom\.xml|build\.gradle(\.kts)?|settings\.gradle(\.kts)?)$/.test(name);
}

/**
 * Why the build's output depends on the CPU (`"pom.xml detects the OS and CPU (…)"`), or
 * undefined when it does not, from the build files' texts.
 *
 * @example
 * archDependence([{ path: "pom.xml", text: "<classifier>${os.detected.classifier}</classifier>" }]);
 * // "pom.xml detects the OS and CPU (os-maven-plugin / osdetector)"
 */
export function archDependence(files: readonly { path: string; text: string }[]): string | undefined {
  for (const { path, text } of files) {
    const hit = ARCH_DEPENDENT.find((a) => a.pattern.test(text));
    if (hit) return `${path} ${hit.what}`;
  }
  return undefined;
}
