/**
 * SBOM components for the jars an app carries, from the `META-INF/maven/<group>/<artifact>/pom.properties`
 * Maven writes into every jar it builds: groupId, artifactId and version become a
 * `pkg:maven/<group>/<artifact>@<version>` purl. Jars built with Gradle (all of Spring's,
 * Micrometer's) have no pom.properties: they are listed by their file name's
 * `<artifact>-<version>.jar` (version from the manifest when the name has none), with their
 * sha256 and no purl, since nothing in the jar says the group. Pure: the texts are passed in.
 */
import type { SbomComponent } from "@cnbkit/framework";

/** The coordinates in one pom.properties, or undefined when any is missing. */
export function parsePomProperties(text: string): { groupId: string; artifactId: string; version: string } | undefined {
  const props: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^#!=:\s]+)\s*[=:]\s*(.*?)\s*$/.exec(line);
    if (m) props[m[1] as string] = m[2] as string;
  }
  const { groupId, artifactId, version } = props;
  return groupId && artifactId && version ? { groupId, artifactId, version } : undefined;
}

/**
 * The component of one jar: the coordinates of its own pom.properties (a shaded jar holds
 * several; the one whose artifactId the file name starts with wins, else the first by path),
 * else its file name and `manifestVersion` (the manifest's Implementation-Version).
 */
export function jarComponent(
  jarName: string,
  poms: readonly { path: string; text: string }[],
  sha256: string,
  manifestVersion?: string,
): SbomComponent {
  const coords = [...poms]
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((p) => parsePomProperties(p.text))
    .filter((c) => c !== undefined);
  const own = coords.find((c) => jarName.startsWith(`${c.artifactId}-`)) ?? coords[0];
  if (!own) return nameComponent(jarName, manifestVersion, sha256);
  const enc = encodeURIComponent;
  return {
    name: own.artifactId,
    version: own.version,
    purl: `pkg:maven/${enc(own.groupId)}/${enc(own.artifactId)}@${enc(own.version)}`,
    sha256,
    type: "library",
  };
}

/** A jar without Maven coordinates, named as Maven and Gradle name artifacts: `<name>-<version>.jar`. */
function nameComponent(jarName: string, manifestVersion: string | undefined, sha256: string): SbomComponent {
  const base = jarName.replace(/\.jar$/, "");
  const m = /^(.+?)-(\d[\w.+-]*)$/.exec(base);
  const version = m?.[2] ?? manifestVersion;
  return { name: m?.[1] ?? base, ...(version ? { version } : {}), sha256, type: "library" };
}
