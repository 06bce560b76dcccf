/**
 * Errors a user can act on.
 *
 * Every failure a buildpack author, platform operator or app developer can fix is a
 * {@link CnbError}: one line that says what is wrong and where, and optionally one hint
 * line that says what to do. Entry points print `error: <message>` (and `<hint>` under
 * it) and exit non-zero; they print a stack trace only at debug level.
 *
 * @example
 * throw new CnbError(`buildpack.toml: [buildpack].id "My BP!" may only contain letters, digits, '.', '/' and '-'`);
 */
export class CnbError extends Error {
  /** An optional second line telling the user what to do. */
  readonly hint: string | undefined;

  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CnbError";
    this.hint = options?.hint;
  }
}

/** True when `err` is a {@link CnbError}, i.e. safe to show without a stack trace. */
export function isCnbError(err: unknown): err is CnbError {
  return err instanceof CnbError;
}

/**
 * Formats any thrown value for a terminal: `error: <one line>` plus an optional hint line.
 * Unexpected errors keep their message; the stack is added only when `debug` is true.
 */
export function formatError(err: unknown, debug = false): string {
  const lines: string[] = [];
  if (isCnbError(err)) {
    lines.push(`error: ${err.message}`);
    if (err.hint) lines.push(`  ${err.hint}`);
  } else if (err instanceof Error) {
    lines.push(`error: ${err.message.split("\n")[0]}`);
  } else {
    lines.push(`error: ${String(err)}`);
  }
  if (debug && err instanceof Error && err.stack) lines.push(err.stack);
  return lines.join("\n");
}
