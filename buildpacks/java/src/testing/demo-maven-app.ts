/**
 * The smallest Maven app the harness tests build for real: one class that prints a line,
 * released for Java 17, packaged as a runnable jar. Several Maven test files wrote it by hand.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Its pom.xml: Java 17, UTF-8, a jar whose manifest names demo.App. */
export const DEMO_POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId><artifactId>demo</artifactId><version>1.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version>
    <configuration><archive><manifest><mainClass>demo.App</mainClass></manifest></archive></configuration>
  </plugin></plugins></build>
</project>
`;

/** demo/App.java, printing `text`: a test edits the app by writing it again with another line. */
export function demoSource(text: string): string {
  return `package demo;\npublic class App { public static void main(String[] a) { System.out.println("${text}"); } }\n`;
}

/** The path of demo/App.java in an app at `dir`. */
export const demoSourcePath = (dir: string): string => join(dir, "src/main/java/demo/App.java");

/** Writes the app into `dir` (made if missing), printing `text`; returns `dir`. */
export async function writeDemoMavenApp(dir: string, text: string): Promise<string> {
  await mkdir(join(dir, "src/main/java/demo"), { recursive: true });
  await writeFile(join(dir, "pom.xml"), DEMO_POM);
  await writeFile(demoSourcePath(dir), demoSource(text));
  return dir;
}
