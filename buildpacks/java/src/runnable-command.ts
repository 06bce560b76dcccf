/**
 * The start command of a runnable that is not an exploded jar (those start from their
 * manifest: start-command.ts). A kept jar runs with `java -jar` from the app dir, so its
 * Class-Path (Quarkus' lib/, Helidon's libs/) resolves beside it; a WAR runs in Heroku's
 * webapp-runner on $PORT (default 8080), through sh because the port is known only at launch;
 * classes run with `java -cp` (the JVM expands `dependency/*` itself). Pure.
 */
import type { Runnable } from "./runnable.js";

/** Quotes a word for sh when it needs it. */
function shQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * The command; `webappRunner` is the webapp-runner jar's path, needed for a WAR.
 *
 * @example
 * runnableCommand({ kind: "jar", jar: "target/quarkus-app/quarkus-run.jar", keep: ["target/quarkus-app"] })
 * // ["java", "-jar", "target/quarkus-app/quarkus-run.jar"]
 */
export function runnableCommand(r: Exclude<Runnable, { kind: "exploded" }>, webappRunner?: string): string[] {
  switch (r.kind) {
    case "jar":
      return ["java", "-jar", r.jar];
    case "war": {
      if (!webappRunner) throw new Error("a WAR needs webapp-runner");
      const line = `exec java -jar ${shQuote(webappRunner)} --port "\${PORT:-8080}" ${shQuote(r.war)}`;
      return ["sh", "-c", line];
    }
    case "classpath":
      return ["java", "-cp", [r.classes, ...(r.dependencies ? [`${r.dependencies}/*`] : [])].join(":"), r.mainClass];
  }
}
