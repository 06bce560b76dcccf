/**
 * The start command of a runnable that is not an exploded jar (those start from their
 * manifest: start-command.ts). A kept jar runs with `java -jar` from the app dir, so its
 * Class-Path (Quarkus' lib/, Helidon's libs/) resolves beside it; a WAR runs in Apache Tomcat
 * (steps/add-tomcat.ts), started as catalina.sh starts it but with no shell, serving the app dir
 * (the WAR exploded into it, steps/explode-war.ts): Tomcat's own server.xml reads $PORT; classes run with `java -cp` (the JVM expands `dependency/*` itself).
 * Every command is exec'd by the launcher directly, so none needs a shell in the run image. Pure.
 */
import type { KeptRunnable } from "./runnable.js";

/**
 * The command; `tomcat` is Tomcat's home and `appDir` the app's dir (the exploded WAR), needed for a WAR.
 *
 * @example
 * runnableCommand({ kind: "jar", jar: "target/quarkus-app/quarkus-run.jar", keep: ["target/quarkus-app"] })
 * // ["java", "-jar", "target/quarkus-app/quarkus-run.jar"]
 */
export function runnableCommand(r: KeptRunnable, war?: { tomcat: string; appDir: string }): string[] {
  switch (r.kind) {
    case "jar":
      return ["java", "-jar", r.jar];
    case "war": {
      if (!war) throw new Error("a WAR needs Tomcat");
      const { tomcat, appDir } = war;
      return [
        "java",
        `-Dcatalina.home=${tomcat}`,
        `-Dcnbkit.docbase=${appDir}`,
        "-cp",
        `${tomcat}/bin/bootstrap.jar:${tomcat}/bin/tomcat-juli.jar`,
        "org.apache.catalina.startup.Bootstrap",
        "start",
      ];
    }
    case "classpath":
      return ["java", "-cp", [r.classes, ...(r.dependencies ? [`${r.dependencies}/*`] : [])].join(":"), r.mainClass];
  }
}
