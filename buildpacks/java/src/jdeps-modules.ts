/**
 * The JDK modules an app needs, as jdeps reads them from its classes and jars, for a jlinked
 * runtime (BP_JVM_JLINK_ENABLED) that holds those and no more: a plain jar needs java.base
 * alone, where every java.* module (Paketo's default) is ~3 times its size. jdeps cannot see
 * what code loads by name, so modules loaded that way are added here ({@link ALWAYS}), and
 * `BP_JVM_JLINK_ARGS --add-modules` stays the way to name more.
 */

/**
 * Modules added to what jdeps finds when the JDK has them: the elliptic-curve TLS provider
 * (a separate module up to JDK 21, loaded by the security framework by name, so jdeps never
 * sees it, and most HTTPS servers need it), and the zip file system Spring Boot's nested jars
 * and many libraries open through the FileSystemProvider service.
 */
export const ALWAYS = ["jdk.crypto.ec", "jdk.zipfs"] as const;

/**
 * What jdeps reads, in two parts: the app's own classes (`classes`, directories), which change
 * with every build of the app, and its libraries (`libs`, jars), which seldom do. Each part is
 * read on its own, so the libraries' modules can be kept while only the classes are read again;
 * or why jdeps reads nothing.
 */
export type JdepsInputs = { kind: "read"; classes: string[]; libs: string[] } | { kind: "skip"; why: string };

/**
 * The inputs of jdeps for the exploded app whose files (app-relative) are `files`: a Spring Boot
 * jar's BOOT-INF/classes and its BOOT-INF/lib jars; otherwise the app's own classes and every
 * jar under it (a Quarkus lib/, a plain jar's Class-Path). A WAR is skipped: it runs inside
 * Tomcat, whose needs jdeps would not read from the app.
 */
export function jdepsInputs(files: readonly string[]): JdepsInputs {
  const under = (dir: string) => files.filter((f) => f.startsWith(dir));
  if (under("WEB-INF/").length > 0) return { kind: "skip", why: "a WAR runs in Tomcat" };
  const jars = (list: readonly string[]) => list.filter((f) => f.endsWith(".jar")).sort();
  if (under("BOOT-INF/classes/").length > 0) {
    return { kind: "read", classes: ["BOOT-INF/classes"], libs: jars(under("BOOT-INF/lib/")) };
  }
  const libs = jars(files);
  const hasClasses = files.some((f) => f.endsWith(".class"));
  if (!hasClasses && libs.length === 0) return { kind: "skip", why: "the app has no classes or jars" };
  return { kind: "read", classes: hasClasses ? ["."] : [], libs };
}

/**
 * jdeps' arguments for one part of {@link JdepsInputs}: module names only
 * (`--print-module-deps`), unresolvable references ignored (optional dependencies of
 * libraries), multi-release jars read as the JDK's release. `--no-recursive`: every input is
 * read anyway, and jdeps must not follow the classes into the libraries (it does by default
 * when it can find them), which are read, and kept, apart; what the classes reach through a
 * library is what the library itself needs.
 *
 * @example
 * jdepsArguments(["BOOT-INF/lib/a.jar", "BOOT-INF/lib/b.jar"], 21)
 * // ["--print-module-deps", "--ignore-missing-deps", "-q", "--no-recursive", "--multi-release", "21", "BOOT-INF/lib/a.jar", "BOOT-INF/lib/b.jar"]
 */
export function jdepsArguments(paths: readonly string[], release: number): string[] {
  return [
    "--print-module-deps",
    "--ignore-missing-deps",
    "-q",
    "--no-recursive",
    "--multi-release",
    String(release),
    ...paths,
  ];
}

/**
 * The error of one line of a failed jdeps' output, for the warning: its own `Error: ...` lines
 * (a multi-release jar it will not read, a split package), or the message of the exception it
 * died of (a modular library that requires a module the app does not ship:
 * `java.lang.module.FindException`, printed with a stack trace); undefined for other lines.
 *
 * @example
 * jdepsErrorLine('Exception in thread "main" java.lang.module.FindException: Module a not found, required by b')
 * // "Module a not found, required by b"
 */
export function jdepsErrorLine(line: string): string | undefined {
  const own = /^Error: (.+)$/.exec(line.trim());
  if (own) return own[1];
  const died = /^Exception in thread "[^"]*" ([\w.$]+)(?:: (.+))?$/.exec(line.trim());
  return died ? (died[2] ?? died[1]) : undefined;
}

/**
 * The modules of jdeps' `--print-module-deps` output (its last line, comma-separated);
 * undefined when the output names none.
 *
 * @example
 * jdepsModules("java.base,java.logging\n") // ["java.base", "java.logging"]
 */
export function jdepsModules(output: string): string[] | undefined {
  const last = output.trim().split(/\r?\n/).at(-1)?.trim() ?? "";
  if (!/^[\w.]+(,[\w.]+)*$/.test(last)) return undefined;
  return last.split(",");
}

/**
 * The modules jlink gets: those of each part jdeps read (the classes', the libraries'), with
 * {@link ALWAYS} added where the JDK has them, once each, sorted.
 *
 * @example
 * modulesToLink([["java.base"], ["java.base", "java.sql"]], ["java.base", "java.sql", "jdk.zipfs"])
 * // ["java.base", "java.sql", "jdk.zipfs"]
 */
export function modulesToLink(parts: readonly (readonly string[])[], jdkModules: readonly string[]): string[] {
  const extra = ALWAYS.filter((m) => jdkModules.includes(m));
  return [...new Set([...parts.flat(), ...extra])].sort();
}
