/**
 * "Did you mean …?" for a mistyped flag or command: the known name at the smallest edit
 * distance, when that distance is small enough to be a typo rather than another word.
 */

/** Levenshtein distance (insertions, deletions, substitutions), two rows of memory. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate nearest to `typed`, or undefined when none is within a third of its length
 * (at least 2 edits), or when `typed` is the start of exactly one candidate.
 *
 * @example
 * nearest("clear-cach", ["clear-cache", "builder"]) // "clear-cache"
 * nearest("zzz", ["clear-cache"])                   // undefined
 */
export function nearest(typed: string, candidates: readonly string[]): string | undefined {
  const prefixed = candidates.filter((c) => typed.length >= 3 && c.startsWith(typed));
  if (prefixed.length === 1) return prefixed[0];
  const limit = Math.max(2, Math.floor(typed.length / 3));
  let best: { name: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(typed, c);
    if (d <= limit && (!best || d < best.d)) best = { name: c, d };
  }
  return best?.name;
}
