/**
 * Looks for several needles in a stream of chunks at once, without holding the stream: each
 * chunk is searched together with the last (longest needle - 1) bytes of the one before, so
 * a needle split across two chunks is found, and memory stays one chunk plus that tail.
 *
 * Why one native `Buffer.indexOf` per needle rather than an Aho-Corasick automaton in
 * JavaScript: indexOf runs in C++ (memchr on a rare byte, then a compare) at gigabytes per
 * second, an automaton stepped byte by byte in JavaScript at a few hundred megabytes per
 * second; a build has a handful of secrets, so k native passes over a chunk that is already
 * in the CPU cache are cheaper than one interpreted pass until k is in the tens
 * (bench/secret-scan.bench.ts prints the figures).
 */

/** A needle's bytes; {@link NeedleSearch} reports the index of the one found. */
export interface NeedleSearch {
  /** Feeds the next chunk; returns the index of a needle found so far (the first), or -1. */
  push(chunk: Buffer): number;
}

/** A search for `needles` over one stream (one tar entry). */
export function needleSearch(needles: readonly Buffer[]): NeedleSearch {
  const keep = Math.max(0, ...needles.map((n) => n.length - 1));
  let tail = Buffer.alloc(0);
  return {
    push(chunk) {
      if (needles.length === 0) return -1;
      const window = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      for (let i = 0; i < needles.length; i++) {
        if (window.indexOf(needles[i]!) !== -1) return i;
      }
      // A copy: the chunk's memory is the stream's to reuse.
      tail = Buffer.from(window.subarray(Math.max(0, window.length - keep)));
      return -1;
    },
  };
}
