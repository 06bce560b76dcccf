/**
 * Maven's "could not resolve dependencies" failure, said in one line that names the missing
 * artifacts. Maven 3.9 prints the project on the first `[ERROR]` line and each artifact it could
 * not find on lines of their own below it, so the first error line alone (spring-petclinic-
 * microservices, realworld-api-quarkus) said which project failed but not what was missing.
 */
import { CnbError } from "@cnbkit/framework";
import type { ToolFailure } from "@cnbkit/framework/process";

/** `Could not find artifact <gav> in <repo id> (<url>)`, on an `[ERROR]` line of its own or not. */
const NOT_FOUND = /Could not find artifact (\S+) in (\S+(?: \([^)]*\))?)/g;
const PROJECT = /Could not resolve dependencies for project (\S+?)(?::\s|\s*$)/m;

/**
 * An `explain` for `runTool` running Maven: when it could not resolve dependencies because
 * artifacts are absent from a repository, the error names them (up to three) and where it
 * looked; anything else is left to the other explanations.
 *
 * @example
 * explainMissingArtifacts("Maven build")({ command: ["mvn"], status: "exit 1", output:
 *   "[ERROR] Failed to execute goal on project api: Could not resolve dependencies for project org.example:api:jar:1.0\n" +
 *   "[ERROR] dependency: io.quarkus:quarkus-resteasy-jackson:jar:3.33.2.1 (compile)\n" +
 *   "[ERROR] \tCould not find artifact io.quarkus:quarkus-resteasy-jackson:jar:3.33.2.1 in central (https://repo.maven.apache.org/maven2)\n" })?.message
 * // "Maven build failed (exit 1): org.example:api:jar:1.0 needs io.quarkus:quarkus-resteasy-jackson:jar:3.33.2.1, which central (https://repo.maven.apache.org/maven2) does not have"
 */
export function explainMissingArtifacts(what: string): (failure: ToolFailure) => CnbError | undefined {
  return ({ output, status }) => {
    const project = PROJECT.exec(output)?.[1];
    if (!project) return undefined;
    const missing = new Map<string, string>();
    for (const m of output.matchAll(NOT_FOUND)) if (!missing.has(m[1]!)) missing.set(m[1]!, m[2]!);
    if (missing.size === 0) return undefined;
    const names = [...missing.keys()];
    const shown = names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.join(", ");
    const repos = [...new Set(missing.values())].join(", ");
    return new CnbError(`${what} failed (${status}): ${project} needs ${shown}, which ${repos} does not have`, {
      hint: `Pin a version ${repos} has (its maven-metadata.xml lists them), or add the repository that publishes it to pom.xml`,
    });
  };
}
