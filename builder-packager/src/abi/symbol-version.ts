/**
 * Symbol version names as libraries define them (`GLIBC_2.38`, `GLIBCXX_3.4.32`,
 * `OPENSSL_3.0.0`): a family and a dotted number. Within a family a library defines every
 * version up to its newest (glibc, libstdc++, libgcc_s and OpenSSL all do), so "does the run
 * image's library meet this need" is one comparison against the newest it defines.
 */

/** A version name split: `GLIBC_2.2.5` → `{ family: "GLIBC", version: "2.2.5" }`; undefined for a name with no number (`GLIBC_PRIVATE`). */
export function splitVersionName(name: string): { family: string; version: string } | undefined {
  const m = /^(.*?)_?(\d+(?:\.\d+)*)$/.exec(name);
  if (!m?.[1]) return undefined;
  return { family: m[1], version: m[2]! };
}

/** Compares dotted numbers (`2.9` < `2.38` < `2.38.1`). */
export function compareVersions(a: string, b: string): number {
  const as = a.split(".").map(Number);
  const bs = b.split(".").map(Number);
  for (let i = 0; i < Math.max(as.length, bs.length); i++) {
    const d = (as[i] ?? 0) - (bs[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
