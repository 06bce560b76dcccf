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
