/**
 * The smallest Maven app the harness tests build for real: one class that prints a line,
 * released for Java 17 unless a test asks for another level, packaged as a runnable jar.
 * Several Maven test files wrote it by hand.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Its pom.xml with these `<properties>` (UTF-8 source encoding is added): what Java it
 * compiles for, `maven.compiler.release` 17 unless a test states another level, as an
 * outside app would (`{ "java.version": "11", "maven.compiler.release": "${java.version}" }`,
 * or source and target 1.7).
 */
export function demoPom(properties: Record<string, string> = { "maven.compiler.release": "17" }): string {
  const lines = Object.entries({ ...properties, "project.build.sourceEncoding": "UTF-8" })
    .map(([name, value]) => `    <${name}>${value}</${name}>\n`)
    .join("");
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId><artifactId>demo</artifactId><version>1.0</version>
  <properties>
${lines}  </properties>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version>
    <configuration><archive><manifest><mainClass>demo.App</mainClass></manifest></archive></configuration>
  </plugin></plugins></build>
</project>
`;
}

/** Its pom.xml as most tests build it: Java 17, UTF-8, a jar whose manifest names demo.App. */
export const DEMO_POM = demoPom();

/**
 * What demo.App prints: a line of text, or a Java expression for a test that asks the JVM it
 * runs on (`{ expression: '"on " + Runtime.version().feature()' }`).
 */
export type DemoOutput = string | { expression: string };

/** demo/App.java, printing `output`: a test edits the app by writing it again with another line. */
export function demoSource(output: DemoOutput): string {
  const printed = typeof output === "string" ? JSON.stringify(output) : output.expression;
  return `package demo;\npublic class App { public static void main(String[] a) { System.out.println(${printed}); } }\n`;
}

/** The path of demo/App.java in an app at `dir`. */
export const demoSourcePath = (dir: string): string => join(dir, "src/main/java/demo/App.java");

/** Writes the app into `dir` (made if missing), printing `output`, with `pom`; returns `dir`. */
export async function writeDemoMavenApp(dir: string, output: DemoOutput, pom = DEMO_POM): Promise<string> {
  await mkdir(join(dir, "src/main/java/demo"), { recursive: true });
  await writeFile(join(dir, "pom.xml"), pom);
  await writeFile(demoSourcePath(dir), demoSource(output));
  return dir;
}
