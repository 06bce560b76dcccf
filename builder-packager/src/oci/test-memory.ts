/**
 * Helpers for this folder's "streams with bounded memory" tests (not part of the public API):
 * incompressible data and the peak RSS growth while a piece of work runs.
 */

/** `size` bytes of xorshift noise from `seed`: incompressible, so gzip works for real. */
export function noise(size: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(size);
  let s = seed;
  for (let i = 0; i + 4 <= size; i += 4) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out.writeInt32LE(s | 0, i);
  }
  return out;
}

/** A stream of `size` bytes of noise in 1 MiB chunks, each from its own seed. */
export async function* noiseStream(size: number): AsyncGenerator<Buffer> {
  const chunk = 1 << 20;
  for (let done = 0, seed = 1; done < size; done += chunk, seed++) yield noise(chunk, seed);
}

/**
 * Runs `work`, sampling RSS every 20 ms and whenever `work` calls `sample`; returns its
 * result, the RSS before (MB) and the peak growth over it (MB).
 */
export async function peakRssGrowth<T>(
  work: (sample: () => void) => Promise<T>,
): Promise<{ result: T; beforeMb: number; deltaMb: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 20);
  try {
    const result = await work(sample);
    sample();
    return { result, beforeMb: before / 1048576, deltaMb: (peak - before) / 1048576 };
  } finally {
    clearInterval(timer);
  }
}
