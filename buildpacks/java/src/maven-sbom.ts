/**
 * SBOM components for the jars an app carries, from the `META-INF/maven/<group>/<artifact>/pom.properties`
 * Maven writes into every jar it builds: groupId, artifactId and version become a
 * `pkg:maven/<group>/<artifact>@<version>` purl. Pure: the texts are passed in.
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
 * several; the one whose artifactId the file name starts with wins, else the first by path).
 */
export function jarComponent(
  jarName: string,
  poms: readonly { path: string; text: string }[],
  sha256: string,
): SbomComponent | undefined {
  const coords = [...poms]
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((p) => parsePomProperties(p.text))
    .filter((c) => c !== undefined);
  const own = coords.find((c) => jarName.startsWith(`${c.artifactId}-`)) ?? coords[0];
  if (!own) return undefined;
  const enc = encodeURIComponent;
  return {
    name: own.artifactId,
    version: own.version,
    purl: `pkg:maven/${enc(own.groupId)}/${enc(own.artifactId)}@${enc(own.version)}`,
    sha256,
    type: "library",
  };
}
