/**
 * The runtime for a jar whose manifest names a Java version the inventory lacks
 * (`Build-Jdk-Spec: 11` with only 17, 21 and 25 here): the nearest newer LTS line the inventory
 * has, since a jar compiled for 11 runs on any newer JVM, and LTS lines are the ones inventories
 * carry and patch (Paketo's buildpacks also move a manifest's version up to a line they ship).
 * Only for the manifest: a version the user chose (BP_JVM_VERSION, system.properties, .sdkmanrc)
 * or the build targets (pom.xml, build.gradle) is never changed behind their back. Pure.
 */

/** Java's LTS lines: 8, 11, then every fourth release from 17 (21, 25, 29, …). */
export function isLtsMajor(major: number): boolean {
  return major === 8 || major === 11 || (major >= 17 && (major - 17) % 4 === 0);
}

/** The major of a Java version (`1.8.0_392` → 8, `17.0.9` → 17), or undefined. */
export function javaMajor(version: string): number | undefined {
  const m = /^(?:1\.)?(\d+)/.exec(version.trim());
  return m ? Number(m[1]) : undefined;
}

/**
 * The smallest LTS major above `requested` that every list in `available` has (the runtime's
 * versions, and the JDK's when the build compiles), or undefined when there is none.
 *
 * @example
 * nearestNewerLts(11, [["17.0.9", "21.0.8", "25.0.1"]]) // 17
 * nearestNewerLts(18, [["17.0.9", "21.0.8"]]) // 21
 */
export function nearestNewerLts(requested: number, available: readonly (readonly string[])[]): number | undefined {
  const majors = available.map((versions) => new Set(versions.map(javaMajor)));
  const candidates = [...(majors[0] ?? [])]
    .filter((m): m is number => m !== undefined && m > requested && isLtsMajor(m))
    .filter((m) => majors.every((set) => set.has(m)))
    .sort((a, b) => a - b);
  return candidates[0];
}

/**
 * The oldest `-source`/`-release` level javac `jdkMajor` compiles: JDK 9 dropped 5, JDK 12
 * dropped 6, JDK 20 dropped 7 (JEP 182's one-plus-three-back policy, as each release's notes say).
 */
export function oldestSourceLevel(jdkMajor: number): number {
  if (jdkMajor >= 20) return 8;
  if (jdkMajor >= 12) return 7;
  if (jdkMajor >= 9) return 6;
  return 5;
}

/** What {@link sourceLevelFallback} chose, and the one line that says why. */
export interface SourceLevelChoice {
  major: number;
  why: string;
}

/**
 * The JDK for a build whose pom.xml or build.gradle targets a Java the inventory lacks (`1.7`,
 * `1.8`, `11` with only 17, 21 and 25): a newer javac compiles older source levels, down to
 * {@link oldestSourceLevel}. When even the newest JDK can't compile the level, the newest that
 * can (7 → 17: JDK 20 dropped 7); otherwise the nearest newer LTS, as for a manifest's version.
 * `available` are the version lists every one of which must have the major (the JDK's and the
 * runtime's); undefined when none of them fits.
 *
 * @example
 * sourceLevelFallback(7, [["17.0.9", "21.0.8", "25.0.1"]]) // { major: 17, why: "JDK 20 and later no longer compile ..." }
 */
export function sourceLevelFallback(
  requested: number,
  available: readonly (readonly string[])[],
): SourceLevelChoice | undefined {
  const majors = available.map((versions) => new Set(versions.map(javaMajor)));
  const common = [...(majors[0] ?? [])]
    .filter((m): m is number => m !== undefined && m > requested)
    .filter((m) => majors.every((set) => set.has(m)))
    .sort((a, b) => b - a);
  const newest = common[0];
  if (newest === undefined) return undefined;
  if (oldestSourceLevel(newest) <= requested) {
    const lts = nearestNewerLts(requested, available);
    return lts === undefined
      ? undefined
      : {
          major: lts,
          why: `the inventory has no Java ${requested}: using Java ${lts}, the nearest newer LTS it has, which compiles source level ${requested}`,
        };
  }
  const can = common.find((m) => oldestSourceLevel(m) <= requested);
  if (can === undefined) return undefined;
  const dropped = [20, 12, 9].find(
    (jdk) => oldestSourceLevel(jdk) > requested && oldestSourceLevel(jdk - 1) <= requested,
  );
  return {
    major: can,
    why: `JDK ${dropped ?? newest} and later no longer compile source level ${requested}: using Java ${can}, the newest in the inventory that does`,
  };
}
