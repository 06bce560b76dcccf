/**
 * cnbkit's reference Java buildpack: a JDK (build only) from the inventory when the app must
 * be compiled by Maven, the app's jar exploded into the app dir, a JRE in a launch layer
 * with a container-aware memory calculator (exec.d, POSIX sh), processes from the jar
 * manifest, Spring Boot's layers.idx as launch slices, and SBOMs for the runtime and every
 * Maven library the app carries.
 *
 * detect.ts and build.ts hold the two phases; build.ts lists its steps (steps/), and the
 * decisions live in small pure modules beside them (java-version, build-tool, maven-args,
 * jar-manifest, spring-boot-layers, start-command, memory-calculator, maven-sbom).
 */
import { buildpack, CnbError } from "@cnbkit/framework";
import { detect } from "./detect.js";
import type { JavaMetadata } from "./java-metadata.js";

export { calculateMemory, MEMORY_CALCULATOR_SCRIPT } from "./memory-calculator.js";
export type { JavaMetadata } from "./java-metadata.js";

/** Checks `[metadata]`: a `default-versions.java` major version is required. */
export function parseMetadata(raw: unknown): JavaMetadata {
  const java = (raw as { "default-versions"?: { java?: unknown } } | undefined)?.["default-versions"]?.java;
  if (typeof java !== "string" || !/^\d+$/.test(java.trim())) {
    throw new CnbError('buildpack.toml: [metadata.default-versions].java must be a major version such as "21"');
  }
  return { defaultVersions: { java: java.trim() } };
}

export default buildpack<JavaMetadata>({
  metadata: parseMetadata,
  detect,
  // build.ts and its steps (JDK install, Maven/Gradle, SBOMs) load only for build, so a
  // detect that reaches Node stays cheap.
  build: async (ctx) => (await import("./build.js")).build(ctx),
});
