/**
 * Which JVM web framework an app uses, from the paths of its staged files (library jars by
 * name, or the packages of a fat jar exploded into the app dir), and the environment
 * variables that hand it the platform's $PORT. Spring Boot reads SERVER_PORT, and so does
 * Helidon (its config maps SERVER_PORT to server.port, in SE and MP alike); Quarkus reads
 * QUARKUS_HTTP_PORT and Micronaut MICRONAUT_SERVER_PORT. All four bind every interface in
 * production by default (Quarkus' prod profile 0.0.0.0, Micronaut and Helidon the wildcard
 * address), so no host is set. Pure.
 */

/** A framework with a port setting of its own. */
export type JvmFramework = "spring-boot" | "quarkus" | "micronaut" | "helidon";

/** Path patterns (app-relative) that give each framework away, most specific first. */
const SIGNS: readonly [JvmFramework, RegExp][] = [
  ["quarkus", /(^|\/)quarkus-run\.jar$|(^|\/)io\.quarkus\.quarkus-core-[^/]*\.jar$|(^|\/)io\/quarkus\/runtime\//],
  ["micronaut", /(^|\/)micronaut-http-server[^/]*\.jar$|(^|\/)io\/micronaut\/http\/server\//],
  ["helidon", /(^|\/)helidon-webserver[^/]*\.jar$|(^|\/)io\/helidon\/webserver\//],
  ["spring-boot", /(^|\/)spring-boot-[\d.]+[^/]*\.jar$|(^|\/)org\/springframework\/boot\//],
];

/**
 * The framework whose signs appear first among `paths`' patterns, or undefined.
 *
 * @example
 * detectJvmFramework(["target/quarkus-app/quarkus-run.jar"]) // "quarkus"
 */
export function detectJvmFramework(paths: readonly string[]): JvmFramework | undefined {
  for (const [framework, re] of SIGNS) if (paths.some((p) => re.test(p))) return framework;
  return undefined;
}

/** How each framework reads its port, for the log. */
export const FRAMEWORK_NAMES: Record<JvmFramework, string> = {
  "spring-boot": "Spring Boot",
  quarkus: "Quarkus",
  micronaut: "Micronaut",
  helidon: "Helidon",
};

/**
 * The variables set to $PORT at launch: SERVER_PORT always (Spring Boot's and Helidon's, and
 * the one most JVM apps read), plus the framework's own.
 *
 * @example
 * portVariables("quarkus") // ["SERVER_PORT", "QUARKUS_HTTP_PORT"]
 */
export function portVariables(framework: JvmFramework | undefined): string[] {
  if (framework === "quarkus") return ["SERVER_PORT", "QUARKUS_HTTP_PORT"];
  if (framework === "micronaut") return ["SERVER_PORT", "MICRONAUT_SERVER_PORT"];
  return ["SERVER_PORT"];
}
