/**
 * The long suite's Java case (`npm run test:long`): a plain Maven app that asks for Java 25 in
 * system.properties; Debian 13's JDK 25 compiles it and the JRE 25 runs it. CI's java.test.ts
 * takes the same path with BP_JVM_VERSION=25 (its AOT cache case compiles and runs Spring Boot
 * on Java 25), and system.properties is read by the Java buildpack's unit tests.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Binding } from "../../builder-packager/src/platform/index.js";
import { buildJava, javaBuilder } from "../e2e/java-builder.js";
import { caBindings, getFromImage } from "../e2e/support.js";

const TIMEOUT = 1_200_000;

let work = "";
let builder = "";
let bindings: Binding[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-java25-"));
  builder = await javaBuilder();
  bindings = await caBindings();
}, TIMEOUT);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const build = (app: string, image: string, cacheDir: string) => buildJava({ builder, bindings, app, image, cacheDir });

describe.sequential("a Maven app on Java 25 (system.properties java.runtime.version=25)", () => {
  test(
    "Maven compiles it with the JDK 25 and the image runs it on a Java 25 runtime",
    async () => {
      const app = join(work, "java25-app");
      await mkdir(join(app, "src/main/java/hello"), { recursive: true });
      await writeFile(join(app, "system.properties"), "java.runtime.version=25\n");
      await writeFile(join(app, "pom.xml"), JAVA25_POM);
      await writeFile(join(app, "src/main/java/hello/Server.java"), JAVA25_SERVER);
      const out = join(work, "java25-out");
      await mkdir(out, { recursive: true });
      const image = `oci:${join(out, "image")}:latest`;
      const cold = await build(app, image, join(out, "cache"));
      console.log(`java 25 maven: cold build ${cold.ms} ms`);
      expect(cold.text).toMatch(/JDK 25\./);
      const body = await getFromImage(image);
      console.log(`java 25 maven answers: ${body.trim()}`);
      expect(body).toMatch(/^200 hello on Java 25\.\d+\.\d+(\.\d+)? \(class file 69\)/);
      // The JRE it runs on is the JDK's own patch (both from one Debian openjdk-25 package set).
      const [, jdk, jre] = /Selected Java (\S+) \(JDK to build, JRE (\S+) to run\)/.exec(cold.text) ?? [];
      expect(jre).toBe(jdk);
      expect(body.startsWith(`200 hello on Java ${jdk}`), body).toBe(true);
    },
    TIMEOUT,
  );
});

/** A jar with a Main-Class, compiled for release 25, nothing else (Maven's default plugins only). */
const JAVA25_POM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>hello</groupId>
  <artifactId>java25</artifactId>
  <version>1.0</version>
  <properties>
    <maven.compiler.release>25</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <build>
    <plugins>
      <plugin>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.14.0</version>
      </plugin>
      <plugin>
        <artifactId>maven-jar-plugin</artifactId>
        <version>3.4.2</version>
        <configuration>
          <archive><manifest><mainClass>hello.Server</mainClass></manifest></archive>
        </configuration>
      </plugin>
    </plugins>
  </build>
</project>
`;

/** Answers with the runtime's version and its own class file's major version (69 is Java 25). */
const JAVA25_SERVER = `package hello;
import com.sun.net.httpserver.HttpServer;
import java.io.DataInputStream;
import java.net.InetSocketAddress;
public class Server {
  public static void main(String[] args) throws Exception {
    int major;
    try (DataInputStream in = new DataInputStream(Server.class.getResourceAsStream("Server.class"))) {
      in.readInt();
      in.readUnsignedShort();
      major = in.readUnsignedShort();
    }
    String body = "hello on Java " + System.getProperty("java.version") + " (class file " + major + ")\\n";
    String host = System.getenv().getOrDefault("HOST", "0.0.0.0");
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 0);
    s.createContext("/", ex -> {
      byte[] b = body.getBytes();
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    s.start();
  }
}
`;
