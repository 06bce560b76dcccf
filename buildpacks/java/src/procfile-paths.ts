/**
 * The app paths a Procfile's commands name (`web: java $JAVA_OPTS -jar target/app.jar`, Heroku's
 * layout), so that exploding the jar into the app dir keeps them: cnbkit/procfile runs those
 * commands after this buildpack, in the app dir this buildpack rewrote. Pure: the caller reads
 * the Procfile and checks which paths exist.
 */

/** A path a Procfile command names, relative to the app dir ("/"-separated, no `.` or `..`). */
export interface ProcfilePath {
  /** As written, normalised: `target/app.jar`, `build/libs/*.jar`, `target/dependency/*`. */
  path: string;
  /** Whether it holds `*`, `?` or `[` (matched against the app's files, as bash would). */
  glob: boolean;
}

const LINE = /^[A-Za-z0-9][A-Za-z0-9._-]*\s*:\s*(.*)$/;

/**
 * The relative paths the Procfile's commands name: each word (quotes removed) and each part
 * of a `:`-separated class path, leaving out options (`-jar`, `-Dserver.port=$PORT`), words
 * with a variable, absolute paths and anything that leaves the app dir. Whether a path exists
 * is for the caller to check: most words (`java`, `web`) do not.
 *
 * @example
 * procfilePaths("web: java $JAVA_OPTS -Dserver.port=$PORT -jar target/app.jar\n")
 * // [{ path: "target/app.jar", glob: false }]
 */
export function procfilePaths(text: string): ProcfilePath[] {
  const out = new Map<string, ProcfilePath>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("#")) continue;
    const command = LINE.exec(line)?.[1];
    if (!command) continue;
    for (const word of command.split(/\s+/)) {
      const unquoted = word.replace(/^['"]|['"]$/g, "");
      if (unquoted.startsWith("-") || unquoted.includes("$")) continue;
      for (const part of unquoted.split(":")) {
        const path = normalise(part);
        if (path) out.set(path, { path, glob: /[*?[]/.test(path) });
      }
    }
  }
  return [...out.values()];
}

/** `./target//app.jar` → `target/app.jar`; undefined for "", ".", absolute paths and `..`. */
function normalise(part: string): string | undefined {
  if (part === "" || part.startsWith("/") || part.startsWith("~")) return undefined;
  const segments = part.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.length === 0 || segments.includes("..")) return undefined;
  if (segments.some((s) => /[;&|<>()`=]/.test(s))) return undefined;
  return segments.join("/");
}
