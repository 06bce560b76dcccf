/**
 * Progress for long work (downloads, layer compression, pushes, builds).
 *
 * On a terminal one line is redrawn in place; otherwise (CI, pipes) a plain line is
 * printed when a task starts, at most every few seconds while it runs, and when it ends,
 * so logs stay readable. NO_COLOR turns colour off; progress itself stays.
 */
import { formatBytes } from "@cnbkit/framework/log";
export { formatBytes };

/** Reports the progress of one task. */
export interface Progress {
  /** Updates the bytes (or items) done, out of `total` when known. */
  update(done: number, total?: number): void;
  /** Ends the task with a summary, e.g. "pushed 3 blobs (31 MB)". */
  done(summary?: string): void;
}

/** Options for {@link createProgress}. */
export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Units for the numbers: bytes are shown as KB/MB. */
  unit?: "bytes" | "items";
  /** Minimum milliseconds between plain (non-TTY) lines. */
  plainIntervalMs?: number;
}

/**
 * Starts reporting progress for a task called `label`.
 *
 * @example
 * const p = createProgress("Pushing layer sha256:ab12…");
 * stream.on("data", (c) => p.update((done += c.length), total));
 * p.done();
 */
export function createProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const interval = options.plainIntervalMs ?? 5000;
  const fmt = (n: number) => (options.unit === "items" ? String(n) : formatBytes(n));
  const started = performance.now();
  let lastPlain = started;
  let last = "";
  if (!tty) stream.write(`${label} ...\n`);
  return {
    update(done, total) {
      const pct = total ? ` ${Math.floor((done / total) * 100)}%` : "";
      const text = `${label}${pct} (${fmt(done)}${total ? ` / ${fmt(total)}` : ""})`;
      if (tty) {
        if (text !== last) stream.write(`\r\u001b[2K${text}`);
        last = text;
      } else if (performance.now() - lastPlain >= interval) {
        lastPlain = performance.now();
        stream.write(`${text}\n`);
      }
    },
    done(summary) {
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      const text = `${label} done${summary ? `: ${summary}` : ""} (${secs}s)`;
      stream.write(tty ? `\r\u001b[2K${text}\n` : `${text}\n`);
    },
  };
}
