/**
 * Java apps laid out as their build tools lay them out, made here with the host's JDK 17
 * (`javac`, `jar`) for the runnable tests: Quarkus' fast-jar tree, Helidon's thin jar with
 * libs/, the assembly plugin's pair, a classpath app, an exploded jar, a WAR. Each app is a
 * tiny com.sun.net.httpserver server on 127.0.0.1 that reads its port from the variable its
 * framework reads (QUARKUS_HTTP_PORT, SERVER_PORT, ...), not from PORT, so a test that asks
 * it over HTTP shows that $PORT reached the framework's own setting.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { put, run } from "./java-apps.js";

/**
 * The source of `<pkg>.Server`: answers every request with `<text>` plus what `check` (a Java
 * expression) says, on 127.0.0.1 and the port in the env var `portVar`.
 */
function serverSource(pkg: string, portVar: string, text: string, check = '""'): string {
  return `package ${pkg};
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
public class Server {
  public static void main(String[] args) throws Exception {
    String port = System.getenv("${portVar}");
    if (port == null) { System.err.println("${portVar} is not set"); System.exit(3); }
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(port)), 0);
    s.createContext("/", ex -> {
      byte[] body = ("${text}" + ${check}).getBytes();
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    s.start();
  }
}
`;
}

/**
 * Compiles `sources` (path → text) and jars the classes (plus `resources`) into `jarPath`;
 * `classesIn` puts the classes under that dir of the archive (a WAR's `WEB-INF/classes`).
 */
export async function makeJar(
  jarPath: string,
  sources: Record<string, string>,
  o: { manifest?: string; classPath?: string; resources?: Record<string, string>; classesIn?: string } = {},
): Promise<void> {
  await mkdir(dirname(jarPath), { recursive: true });
  const work = await mkdtemp(join(dirname(jarPath), ".jar-src-"));
  try {
    for (const [rel, text] of Object.entries(sources)) await put(work, `src/${rel}`, text);
    for (const [rel, text] of Object.entries(o.resources ?? {})) await put(work, `classes/${rel}`, text);
    await mkdir(join(work, "classes"), { recursive: true });
    const files = Object.keys(sources).map((s) => `src/${s}`);
    if (files.length > 0) {
      const out = o.classesIn ? `classes/${o.classesIn}` : "classes";
      run("javac", ["--release", "17", ...(o.classPath ? ["-cp", o.classPath] : []), "-d", out, ...files], work);
    }
    const manifest = o.manifest ? ["--manifest", join(work, "MANIFEST.MF")] : [];
    if (o.manifest) await writeFile(join(work, "MANIFEST.MF"), `Manifest-Version: 1.0\n${o.manifest}`);
    run("jar", ["--create", "--file", jarPath, ...manifest, "-C", "classes", "."], work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const greeting = {
  "dep/Greeting.java": 'package dep;\npublic class Greeting { public static String text() { return "+dep"; } }\n',
};

/**
 * Quarkus' fast-jar under `<target>/quarkus-app`: quarkus-run.jar (Main-Class and a Class-Path
 * into lib/boot/, as Quarkus writes it), lib/main/io.quarkus.quarkus-core-*.jar, app/ and
 * quarkus/; beside it the plain jar Maven also makes. The server reads QUARKUS_HTTP_PORT and
 * answers `quarkus` plus whether `quarkus/quarkus-application.dat` is where the jar expects it.
 */
export async function quarkusFastJar(target: string): Promise<void> {
  const q = join(target, "quarkus-app");
  const check =
    '" layout=" + new java.io.File(new java.io.File(Server.class.getProtectionDomain().getCodeSource().getLocation().getPath()).getParentFile().getParentFile().getParentFile(), "quarkus/quarkus-application.dat").isFile()';
  await makeJar(join(q, "lib/boot/io.quarkus.quarkus-bootstrap-runner-3.15.1.jar"), {
    "io/quarkus/bootstrap/runner/Server.java": serverSource(
      "io.quarkus.bootstrap.runner",
      "QUARKUS_HTTP_PORT",
      "quarkus",
      check,
    ),
  });
  await makeJar(join(q, "lib/main/io.quarkus.quarkus-core-3.15.1.jar"), {}, { resources: { "core.txt": "core\n" } });
  await makeJar(join(q, "app/demo-1.0.jar"), {}, { resources: { "application.properties": "\n" } });
  await put(q, "quarkus/quarkus-application.dat", "fake\n");
  await makeJar(
    join(q, "quarkus-run.jar"),
    {},
    {
      manifest:
        "Main-Class: io.quarkus.bootstrap.runner.Server\nClass-Path: lib/boot/io.quarkus.quarkus-bootstrap-runner-3.15.1.jar\n",
    },
  );
  await makeJar(join(target, "demo-1.0.jar"), {}, { resources: { "application.properties": "\n" } });
}

/** Helidon's thin jar: `<target>/demo.jar` whose Class-Path names libs/; the server (in libs/) reads SERVER_PORT. */
export async function helidonThinJar(target: string): Promise<void> {
  await makeJar(join(target, "libs/helidon-webserver-3.2.9.jar"), {
    "io/helidon/webserver/Server.java": serverSource("io.helidon.webserver", "SERVER_PORT", "helidon"),
  });
  await makeJar(
    join(target, "demo.jar"),
    {},
    { manifest: "Main-Class: io.helidon.webserver.Server\nClass-Path: libs/helidon-webserver-3.2.9.jar\n" },
  );
}

/**
 * The assembly plugin's pair: `demo-1.0.jar` (Main-Class, but its dependency is not in it) and
 * `demo-1.0-jar-with-dependencies.jar` (the same plus the dependency). Reads SERVER_PORT.
 */
export async function assemblyPair(target: string): Promise<void> {
  const app = {
    "app/Server.java": serverSource("app", "SERVER_PORT", "assembly", "dep.Greeting.text()"),
    ...greeting,
  };
  await makeJar(join(target, "demo-1.0-jar-with-dependencies.jar"), app, { manifest: "Main-Class: app.Server\n" });
  const depJar = join(target, "..", ".dep.jar");
  await makeJar(depJar, greeting);
  await makeJar(
    join(target, "demo-1.0.jar"),
    { "app/Server.java": app["app/Server.java"] },
    { manifest: "Main-Class: app.Server\n", classPath: depJar },
  );
  await rm(depJar);
}

/**
 * A classpath app as `dependency:copy-dependencies` leaves it: `classes/` (one class with a
 * main method, one without), `dependency/greeting.jar`, and a plain jar. Reads SERVER_PORT.
 */
export async function classpathApp(target: string): Promise<void> {
  await makeJar(join(target, "dependency/greeting-1.0.jar"), greeting);
  await mkdir(target, { recursive: true });
  const work = await mkdtemp(join(target, ".src-"));
  try {
    await put(work, "app/Server.java", serverSource("app", "SERVER_PORT", "classpath", "dep.Greeting.text()"));
    await put(work, "app/Util.java", "package app;\npublic class Util { static int x() { return 1; } }\n");
    run(
      "javac",
      ["--release", "17", "-cp", join(target, "dependency/greeting-1.0.jar"), "-d", join(target, "classes")].concat([
        "app/Server.java",
        "app/Util.java",
      ]),
      work,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  await makeJar(join(target, "demo-1.0.jar"), {}, { resources: { "x.txt": "x\n" } });
}

/** A library module's output: a plain jar and classes with no main method. */
export async function libraryModule(target: string): Promise<void> {
  await makeJar(join(target, "lib-1.0.jar"), greeting);
  await makeJar(join(target, ".classes.jar"), greeting);
  run("jar", ["--extract", "--file", join(target, ".classes.jar")], await mkdirp(join(target, "classes")));
  await rm(join(target, ".classes.jar"));
}

async function mkdirp(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

/** An exploded jar in `dir`: META-INF/MANIFEST.MF with Main-Class, the classes beside it; reads MICRONAUT_SERVER_PORT. */
export async function explodedMicronaut(dir: string): Promise<void> {
  const jar = join(dir, ".exploded.jar");
  await makeJar(
    jar,
    {
      "io/micronaut/http/server/Server.java": serverSource(
        "io.micronaut.http.server",
        "MICRONAUT_SERVER_PORT",
        "micronaut",
      ),
    },
    { manifest: "Main-Class: io.micronaut.http.server.Server\n" },
  );
  run("jar", ["--extract", "--file", ".exploded.jar"], dir);
  await rm(jar);
}

/** `<target>/demo.war`: a static index.html (Tomcat serves it at /) and a web.xml. */
export async function staticWar(target: string): Promise<void> {
  await makeJar(
    join(target, "demo.war"),
    {},
    {
      resources: {
        "index.html": "war on tomcat\n",
        "WEB-INF/web.xml":
          '<web-app xmlns="http://xmlns.jcp.org/xml/ns/javaee" version="4.0"><display-name>demo</display-name></web-app>\n',
      },
    },
  );
}
