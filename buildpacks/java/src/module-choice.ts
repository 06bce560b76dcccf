/**
 * Which output dir of a Maven build holds the app: the root's `target/`, or in a multi-module
 * build (a parent pom with <modules>) the module whose artifact is runnable. An executable
 * jar (or Quarkus' fast-jar) beats a WAR, which beats bare classes; two modules of the same
 * rank are an error that names them and BP_MAVEN_BUILT_MODULE. Pure.
 */
import { CnbError } from "@cnbkit/framework";
import type { Runnable } from "./runnable.js";

/** One output dir and what it runs. */
export interface ModuleRunnable {
  /** The module dir, relative to the app root (`.` for the root). */
  module: string;
  runnable: Runnable;
}

const RANK: Record<Runnable["kind"], number> = { exploded: 0, jar: 0, war: 1, classpath: 2 };

/**
 * The module to run among `found` (every module with a runnable), or throws.
 *
 * @example
 * chooseModule([{ module: "lib", runnable: { kind: "classpath", ... } }, { module: "app", runnable: { kind: "exploded", jar: "app/target/app.jar" } }])
 * // the "app" one
 */
export function chooseModule(found: readonly ModuleRunnable[]): ModuleRunnable {
  if (found.length === 0) {
    throw new CnbError("the Maven build produced nothing to run: no executable jar, WAR or main class in target/", {
      hint: "Build an executable jar (maven-jar-plugin's <mainClass>, spring-boot-maven-plugin), or set BP_MAVEN_BUILT_MODULE / BP_MAVEN_BUILT_ARTIFACT",
    });
  }
  const best = Math.min(...found.map((f) => RANK[f.runnable.kind]));
  const top = found.filter((f) => RANK[f.runnable.kind] === best);
  if (top.length === 1) return top[0] as ModuleRunnable;
  const root = top.find((f) => f.module === ".");
  if (root) return root;
  throw new CnbError(
    `the Maven build produced ${top.length} runnable modules: ${top.map((f) => f.module).join(", ")}`,
    { hint: "Set BP_MAVEN_BUILT_MODULE to the module to run" },
  );
}
