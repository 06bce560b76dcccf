/**
 * Looks for several needles in a stream of chunks at once, without holding the stream: each
 * chunk is searched whole, and the seam between two chunks (the last longest-needle - 1
 * bytes of one and the first of the next) on its own, so a needle split across chunks is
 * found and no chunk is ever copied; memory is one chunk plus that tail.
 *
 * How the needles are searched: a native `Buffer.indexOf` per needle (memchr on its first
 * byte, then a compare) is the fastest single search, but k needles cost k passes; one V8
 * regular expression of all needles as alternatives, over the chunk read as latin1 (one char
 * per byte, so byte-exact), is one native pass whatever k. bench/secret-scan.bench.ts over
 * 297 MB of binary (needles starting with a common byte, the worst case for memchr): 1 needle
 * 338 ms, 4 needles 701 ms by indexOf; 16 needles 993 ms, 64 needles 1.4 s by the expression
 * (indexOf took 1.3 s for 16 and 6.5 s for 64 in the same kind of run). So up to
 * {@link INDEXOF_MAX} needles use indexOf, more use the one expression.
 */

/** Up to this many needles, k indexOf passes beat one regular expression pass. */
export const INDEXOF_MAX = 4;

/** A search over one stream (one tar entry). */
export interface NeedleSearch {
  /** Feeds the next chunk; returns the index of a needle found (the first seen), or -1. */
  push(chunk: Buffer): number;
}

/** A search for `needles` over one stream. */
export function needleSearch(needles: readonly Buffer[]): NeedleSearch {
  const keep = Math.max(0, ...needles.map((n) => n.length - 1));
  const find = needles.length <= INDEXOF_MAX ? indexOfEach(needles) : oneExpression(needles);
  let tail = Buffer.alloc(0);
  return {
    push(chunk) {
      if (needles.length === 0) return -1;
      if (tail.length) {
        const seam = find(Buffer.concat([tail, chunk.subarray(0, keep)]));
        if (seam !== -1) return seam;
      }
      const found = find(chunk);
      if (found !== -1) return found;
      // A copy: the chunk's memory is the stream's to reuse.
      tail = Buffer.from(
        chunk.length >= keep ? chunk.subarray(chunk.length - keep) : Buffer.concat([tail, chunk]).subarray(-keep),
      );
      return -1;
    },
  };
}

function indexOfEach(needles: readonly Buffer[]): (window: Buffer) => number {
  return (window) => needles.findIndex((n) => window.indexOf(n) !== -1);
}

function oneExpression(needles: readonly Buffer[]): (window: Buffer) => number {
  const texts = needles.map((n) => n.toString("latin1"));
  const re = new RegExp(texts.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"));
  return (window) => {
    const m = re.exec(window.toString("latin1"));
    return m ? texts.indexOf(m[0]) : -1;
  };
}
