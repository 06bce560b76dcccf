import { describe, expect, test } from "vitest";
import { explainMissingArtifacts } from "./missing-artifacts.js";

const explain = explainMissingArtifacts("Maven build");
const failure = (output: string) => ({ command: ["./mvnw"], status: "exit 1", output });

describe("explainMissingArtifacts", () => {
  test("Maven 3.9's split lines (realworld-api-quarkus: a BOM naming artifacts the repository lacks)", () => {
    const output = [
      "[ERROR] Failed to execute goal on project realworldapiservice: Could not resolve dependencies for project org.example:realworldapiservice:jar:1.0-SNAPSHOT",
      "[ERROR] dependency: io.quarkus:quarkus-resteasy-jackson:jar:3.33.2.1 (compile)",
      "[ERROR] \tCould not find artifact io.quarkus:quarkus-resteasy-jackson:jar:3.33.2.1 in central (https://repo.maven.apache.org/maven2)",
      "[ERROR] dependency: io.quarkus:quarkus-test-h2:jar:3.33.2.1 (compile)",
      "[ERROR] \tCould not find artifact io.quarkus:quarkus-test-h2:jar:3.33.2.1 in central (https://repo.maven.apache.org/maven2)",
      "[ERROR] -> [Help 1]",
    ].join("\n");
    const err = explain(failure(output));
    expect(err?.message).toBe(
      "Maven build failed (exit 1): org.example:realworldapiservice:jar:1.0-SNAPSHOT needs io.quarkus:quarkus-resteasy-jackson:jar:3.33.2.1, io.quarkus:quarkus-test-h2:jar:3.33.2.1, which central (https://repo.maven.apache.org/maven2) does not have",
    );
    expect(err?.hint).toMatch(/^Pin a version central .* has/);
  });

  test("one line with the project and its artifacts (spring-framework-petclinic's WAR)", () => {
    const output =
      "[ERROR] Failed to execute goal on project spring-framework-petclinic: Could not resolve dependencies for project org.springframework.samples:spring-framework-petclinic:war:7.0.3: The following artifacts could not be resolved: org.hibernate.orm:hibernate-core:jar:7.4.0.Final, org.hibernate.orm:hibernate-jcache:jar:7.4.0.Final: Could not find artifact org.hibernate.orm:hibernate-core:jar:7.4.0.Final in central (https://repo.maven.apache.org/maven2) -> [Help 1]";
    expect(explain(failure(output))?.message).toBe(
      "Maven build failed (exit 1): org.springframework.samples:spring-framework-petclinic:war:7.0.3 needs org.hibernate.orm:hibernate-core:jar:7.4.0.Final, which central (https://repo.maven.apache.org/maven2) does not have",
    );
  });

  test("more than three artifacts are counted, and a repeated one is named once", () => {
    const lines = ["[ERROR] Could not resolve dependencies for project a:b:jar:1"];
    for (const n of [1, 2, 3, 4, 5, 1])
      lines.push(`[ERROR] \tCould not find artifact g:a${n}:jar:1 in central (https://x)`);
    expect(explain(failure(lines.join("\n")))?.message).toBe(
      "Maven build failed (exit 1): a:b:jar:1 needs g:a1:jar:1, g:a2:jar:1, g:a3:jar:1 and 2 more, which central (https://x) does not have",
    );
  });

  test("other failures are left to the other explanations", () => {
    expect(explain(failure("[ERROR] COMPILATION ERROR : \n[ERROR] /x/A.java:[3,1] error"))).toBeUndefined();
    // An unreachable repository is not "does not have": Maven says "Could not transfer artifact".
    const transfer =
      "[ERROR] Could not resolve dependencies for project a:b:jar:1: Could not transfer artifact g:a:jar:1 from/to central (https://x): Connection refused";
    expect(explain(failure(transfer))).toBeUndefined();
  });
});
