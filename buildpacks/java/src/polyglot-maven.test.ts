import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { expect, test } from "vitest";
import bp from "./index.js";
import { mavenSuite } from "./testing/maven-suite.js";

// Polyglot Maven for real: Maven 3.9.16 (file://, from Central) loads io.takari.polyglot's
// polyglot-yaml core extension from Maven Central and builds from pom.yaml, with no pom.xml.
const maven = mavenSuite("java-polyglot");

const POM_YAML = `modelVersion: 4.0.0
groupId: com.example
artifactId: demo
version: 1.0
properties: {maven.compiler.release: 17, project.build.sourceEncoding: UTF-8}
build:
  plugins:
    - groupId: org.apache.maven.plugins
      artifactId: maven-jar-plugin
      version: 3.4.2
      configuration:
        archive:
          manifest: {mainClass: demo.App}
`;

test("a pom.yaml that .mvn/extensions.xml enables is built by mvn, and its jar runs", async () => {
  const app = join(maven.work, "app");
  await mkdir(join(app, ".mvn"), { recursive: true });
  await mkdir(join(app, "src/main/java/demo"), { recursive: true });
  await writeFile(
    join(app, ".mvn/extensions.xml"),
    "<extensions><extension><groupId>io.takari.polyglot</groupId><artifactId>polyglot-yaml</artifactId><version>0.8.1</version></extension></extensions>\n",
  );
  await writeFile(join(app, "pom.yaml"), POM_YAML);
  await writeFile(
    join(app, "src/main/java/demo/App.java"),
    'package demo;\npublic class App { public static void main(String[] a) { System.out.println("built from pom.yaml"); } }\n',
  );
  const r = await runBuild(bp, maven.opts(app, { BP_JVM_VERSION: "17" }));
  const log = r.stdout.join("\n");
  expect(log).toContain("Running mvn package -DskipTests --batch-mode --no-transfer-progress");
  expect(log).toContain("Runs the executable jar target/demo-1.0.jar");
  const [java, ...args] = r.processes[0]?.command ?? [];
  const out = spawnSync(join(r.launchEnv("web").JAVA_HOME as string, "bin", java as string), args, {
    cwd: r.app,
    encoding: "utf8",
  });
  expect(out.stdout).toBe("built from pom.yaml\n");
}, 600_000);
