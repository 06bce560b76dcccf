/**
 * For bench:fleet with BENCH_FLEET_REQUESTS=1: the registry's requests counted by kind from its
 * access log, so what a scan asks per image (beyond the manifest and config the floor asks) can
 * be read per kind. The log costs the registry CPU of its own, so the run that counts is not the
 * one whose rates are quoted.
 */

/** What a request was for, from its method and path (`GET manifest by tag`, `GET blob`). */
export function requestKind(line: string): string | undefined {
  const m = /"([A-Z]+) (\/v2\/\S*) HTTP/.exec(line);
  if (!m) return undefined;
  const [, method, path] = m as unknown as [string, string, string];
  if (path.startsWith("/v2/_catalog")) return `${method} catalog`;
  if (path === "/v2/") return `${method} /v2/`;
  if (/\/tags\/list(\?|$)/.test(path)) return `${method} tag list`;
  const manifest = /\/manifests\/([^/?]+)$/.exec(path)?.[1];
  if (manifest !== undefined) {
    if (/^sha256-[0-9a-f]{64}\.sig$/.test(manifest)) return `${method} manifest .sig`;
    if (/^sha256-[0-9a-f]{64}\.att$/.test(manifest)) return `${method} manifest .att`;
    return `${method} manifest by ${manifest.startsWith("sha256:") ? "digest" : "tag"}`;
  }
  if (/\/blobs\/sha256:[0-9a-f]{64}$/.test(path)) return `${method} blob`;
  return `${method} other`;
}

/** A running tally of the registry's requests by kind. */
export class RequestTally {
  private readonly counts = new Map<string, number>();

  /** Counts one access-log line (lines that are not requests are skipped). */
  add(line: string): void {
    const kind = requestKind(line);
    if (kind) this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /** The counts so far. */
  snapshot(): Map<string, number> {
    return new Map(this.counts);
  }

  /** Requests by kind between two snapshots, per image, commonest first, and their total. */
  static between(before: Map<string, number>, after: Map<string, number>, images: number): string {
    const rows = [...after]
      .map(([k, n]) => [k, n - (before.get(k) ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]);
    const total = rows.reduce((a, [, n]) => a + n, 0);
    return [
      `${(total / images).toFixed(3)} requests per image (${total})`,
      ...rows.map(([k, n]) => `  ${k}: ${(n / images).toFixed(3)} (${n})`),
    ].join("\n");
  }
}
