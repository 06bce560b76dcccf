/**
 * Build output in the style of Paketo and Heroku buildpacks: a header per buildpack,
 * indented steps and details, warnings that stand out, and timings.
 *
 * ```
 * Acme Node.js 1.2.0
 *   Resolving Node.js version
 *     Selected Node.js 24.11.1
 *   Node.js runtime
 *     Reusing cached layer (version and checksum unchanged)
 *     Completed in 1.2s
 * ```
 *
 * Colour is used only on a terminal and never when NO_COLOR is set (https://no-color.org).
 * BP_LOG_LEVEL=debug turns on {@link Logger.debug} lines and stack traces.
 */

/** Where log lines go; defaults to stdout (the lifecycle shows buildpack stdout and stderr). */
export type LogSink = (line: string) => void;

/** Options for {@link createLogger}; every field defaults from the process environment. */
export interface LoggerOptions {
  env?: Record<string, string | undefined>;
  sink?: LogSink;
  /** Force colour on or off; by default on only for a TTY without NO_COLOR. */
  color?: boolean;
}

const ESC = "\u001b[";

/**
 * A small logger for buildpack output. Create one with {@link createLogger}.
 *
 * @example
 * const log = createLogger();
 * log.header("Acme Node.js 1.2.0");
 * log.step("Node.js runtime");
 * log.detail("Selected Node.js 24.11.1");
 * const done = log.timer(); ...; log.detail(`Completed in ${done()}`);
 */
export interface Logger {
  /** The buildpack's title line: name and version, not indented. */
  header(text: string): void;
  /** A step within the buildpack, indented once. */
  step(text: string): void;
  /** A detail under a step, indented twice. */
  detail(text: string): void;
  /** Only shown with BP_LOG_LEVEL=debug. */
  debug(text: string): void;
  /** A warning: shown at every level, marked so that it stands out. */
  warn(text: string): void;
  /** An error line (the entry point prints fatal errors itself). */
  error(text: string): void;
  /** Raw subprocess output, indented under the current step. */
  subprocess(text: string): void;
  /** Starts a timer; the returned function gives the elapsed time as "1.2s" or "350ms". */
  timer(): () => string;
  /** True when BP_LOG_LEVEL=debug. */
  readonly isDebug: boolean;
}

/** Formats a duration in milliseconds the way build output shows it: "350ms", "4.2s", "1m 3s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m ${Math.round((ms % 60_000) / 1000)}s`;
}

/** True when BP_LOG_LEVEL asks for debug output. */
export function isDebugLevel(env: Record<string, string | undefined>): boolean {
  return (env.BP_LOG_LEVEL ?? "").toLowerCase() === "debug";
}

/** Creates a {@link Logger}. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const sink: LogSink = options.sink ?? ((line) => process.stdout.write(`${line}\n`));
  // process.stdout is created on first access, and creating it loads Node's stream
  // machinery (~10 ms): a detect that prints nothing must not pay for it, so decide on
  // colour only when the first coloured line is written.
  let color = options.color;
  const useColor = () => (color ??= process.stdout.isTTY === true && env.NO_COLOR === undefined);
  const paint = (code: string, text: string) => (useColor() ? `${ESC}${code}m${text}${ESC}0m` : text);
  const debug = isDebugLevel(env);
  const lines = (indent: string, text: string) => {
    for (const line of text.split("\n")) sink(line === "" ? "" : indent + line);
  };
  return {
    isDebug: debug,
    header: (text) => lines("", paint("1;34", text)),
    step: (text) => lines("  ", text),
    detail: (text) => lines("    ", text),
    debug: (text) => {
      if (debug) lines("    ", paint("2", `[debug] ${text}`));
    },
    warn: (text) => lines("  ", paint("1;33", `Warning: ${text}`)),
    error: (text) => lines("", paint("1;31", `error: ${text}`)),
    subprocess: (text) => lines("      ", text.replace(/\n$/, "")),
    timer: () => {
      const start = performance.now();
      return () => formatDuration(performance.now() - start);
    },
  };
}
