import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { expect, test } from "vitest";
import bp from "./index.js";
import { askBuiltApp } from "./testing/launch.js";
import { mavenSuite } from "./testing/maven-suite.js";

// A real Helidon SE 3 app from Maven Central, laid out as Helidon's own poms lay it out: a thin
// jar whose manifest Class-Path points at target/libs/ (maven-dependency-plugin's
// copy-dependencies). Built by Maven 3.9.16 on the local JDK 17, started as the launcher
// starts it, and asked over HTTP: Helidon reads the SERVER_PORT the exec.d helper sets from
// $PORT as its server.port (and SERVER_HOST, given here, as server.host: tests bind loopback).
const maven = mavenSuite("java-helidon");

const HELIDON = "3.2.11";
const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId><artifactId>helidon-demo</artifactId><version>1.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency><groupId>io.helidon.webserver</groupId><artifactId>helidon-webserver</artifactId><version>${HELIDON}</version></dependency>
    <dependency><groupId>io.helidon.config</groupId><artifactId>helidon-config</artifactId><version>${HELIDON}</version></dependency>
  </dependencies>
  <build><plugins>
    <plugin>
      <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version>
      <executions><execution><id>copy-libs</id><phase>prepare-package</phase><goals><goal>copy-dependencies</goal></goals>
        <configuration><outputDirectory>\${project.build.directory}/libs</outputDirectory><includeScope>runtime</includeScope></configuration>
      </execution></executions>
    </plugin>
    <plugin>
      <groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version>
      <configuration><archive><manifest>
        <addClasspath>true</addClasspath><classpathPrefix>libs/</classpathPrefix><mainClass>demo.Main</mainClass>
      </manifest></archive></configuration>
    </plugin>
  </plugins></build>
</project>
`;
const MAIN = `package demo;
import io.helidon.config.Config;
import io.helidon.webserver.Routing;
import io.helidon.webserver.WebServer;
public class Main {
  public static void main(String[] args) throws Exception {
    Routing routing = Routing.builder().get("/", (req, res) -> res.send("helidon se")).build();
    WebServer.create(routing, Config.create().get("server")).start().toCompletableFuture().get();
  }
}
`;

test("Helidon SE's thin jar + target/libs runs with java -jar and listens on $PORT through SERVER_PORT", async () => {
  const app = join(maven.work, "app");
  await mkdir(join(app, "src/main/java/demo"), { recursive: true });
  await writeFile(join(app, "pom.xml"), POM);
  await writeFile(join(app, "src/main/java/demo/Main.java"), MAIN);
  const r = await runBuild(bp, maven.opts(app, { BP_JVM_VERSION: "17" }));
  const log = r.stdout.join("\n");
  expect(log).toMatch(/Runs the jar target\/helidon-demo-1\.0\.jar with its Class-Path \(target\/libs\)/);
  expect(log).toContain("SERVER_PORT from $PORT at launch (Helidon)");
  expect(r.processes[0]?.command).toEqual(["java", "-jar", "target/helidon-demo-1.0.jar"]);
  const answer = await askBuiltApp(r, { env: { SERVER_HOST: "127.0.0.1" }, seconds: 60 });
  expect(answer).toMatchObject({ status: 200, body: "helidon se" });
}, 900_000);
