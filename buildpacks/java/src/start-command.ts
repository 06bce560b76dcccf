/**
 * The app's start command from its (exploded) jar manifest: Spring Boot apps start with
 * their launcher class on the exploded tree (`java -cp . org.springframework.boot.loader.launch.JarLauncher`),
 * others with `Main-Class` on the app dir plus the manifest's Class-Path. Every process type
 * (web, executable-jar, task) runs the same command, as Paketo's do. Pure.
 */
import { CnbError } from "@cnbkit/framework";
import type { JarManifest } from "./jar-manifest.js";

/** The process types, `web` first (the default). */
export const PROCESS_TYPES: readonly string[] = ["web", "executable-jar", "task"];

/**
 * The command for a manifest; `where` names it in errors.
 *
 * @example
 * startCommand({ attributes: {}, classPath: [], mainClass: "com.example.App" }, "META-INF/MANIFEST.MF")
 * // ["java", "-cp", ".", "com.example.App"]
 */
export function startCommand(manifest: JarManifest, where: string): string[] {
  if (!manifest.mainClass) {
    throw new CnbError(`${where}: no Main-Class, so there is nothing to run`, {
      hint: "Build an executable jar (for Maven, the maven-jar-plugin's <mainClass> or spring-boot-maven-plugin)",
    });
  }
  const classPath = manifest.springBootVersion ? ["."] : [".", ...manifest.classPath];
  return ["java", "-cp", classPath.join(":"), manifest.mainClass];
}
