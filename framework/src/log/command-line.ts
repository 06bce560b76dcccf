/** How a command's argv reads in the build log: as it would be typed into a shell. */

/**
 * `argv` as one shell line: plain words as they are, others single-quoted, so that
 * `["bash", "-c", "gunicorn wsgi:app"]` reads `bash -c 'gunicorn wsgi:app'` and not as
 * three words after `bash`.
 *
 * @example
 * commandLine(["sh", "-c", 'exec uvicorn main:app --port "$PORT"']) // `sh -c 'exec uvicorn main:app --port "$PORT"'`
 */
export function commandLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ");
}
