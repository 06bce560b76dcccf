import { existsSync, readdirSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs, runBuild, runDetect } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { localTomcatTarballs } from "../../../tools/local-builder/local-java.js";
import bp from "./index.js";
import {
  assemblyPair,
  classpathApp,
  explodedMicronaut,
  helidonThinJar,
  libraryModule,
  quarkusFastJar,
  staticWar,
} from "./testing/app-layouts.js";
import { askBuiltApp } from "./testing/launch.js";
import { servletWar } from "./testing/servlet-war.js";
import { testBuildpackToml } from "./testing/local-inventory.js";

// Apps laid out as Quarkus, Helidon, the assembly plugin, dependency:copy-dependencies and
// the war plugin leave them, built, then started as the launcher starts them (exec.d
// included) and asked over HTTP with $PORT set. The Maven builds run a stand-in mvnw that
// copies the prebuilt target/ into place (Maven itself is tested in maven.test.ts), so what
// is tested here is which output runs and how.
let buildpackToml: string;
let work: string;
const fixtures: Record<string, string> = {};

/** A stand-in Maven wrapper: "builds" by copying .fixture/ over the app (target/, module/target/). */
const FAKE_MVNW = '#!/bin/sh\nset -e\necho "[INFO] fake mvnw $*"\ncp -R .fixture/. .\n';

beforeAll(async () => {
  buildpackToml = await testBuildpackToml({
    jre: "17",
    jdk: true,
    extra: { tomcatTarballs: await localTomcatTarballs() },
  });
  work = await mkdtemp(join(tmpdir(), "cnbkit-java-runnable-"));
  const make = async (name: string, f: (dir: string) => Promise<void>) => {
    fixtures[name] = join(work, "fixtures", name);
    await f(fixtures[name]);
  };
  await make("quarkus", quarkusFastJar);
  await make("helidon", helidonThinJar);
  await make("assembly", assemblyPair);
  await make("classpath", classpathApp);
  await make("library", libraryModule);
  await make("war", staticWar);
  await make("jakarta-war", (d) => servletWar(d, "jakarta"));
  await make("javax-war", (d) => servletWar(d, "javax"));
  await make("servlet-61-war", (d) => servletWar(d, "jakarta", SERVLET_61_WEB_XML));
  await make("micronaut", explodedMicronaut);
}, 600_000);
afterAll(async () => {
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

/** A Servlet 6.1 deployment descriptor that leaves the servlets to their annotations. */
const SERVLET_61_WEB_XML = '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.1"/>\n';

const POM = `<project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>demo</artifactId><version>1.0</version></project>\n`;

/** A Maven app whose (fake) build leaves `targets` (module dir → fixture name) in place. */
async function mavenApp(name: string, targets: Record<string, string>): Promise<string> {
  const dir = join(work, "apps", name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "pom.xml"), POM);
  await writeFile(join(dir, "mvnw"), FAKE_MVNW);
  await chmod(join(dir, "mvnw"), 0o755);
  for (const [module, fixture] of Object.entries(targets)) {
    const target = module === "." ? "target" : `${module}/target`;
    if (module !== ".") {
      await mkdir(join(dir, module), { recursive: true });
      await writeFile(join(dir, module, "pom.xml"), POM.replace(">demo<", `>${module}<`));
    }
    await cp(fixtures[fixture] as string, join(dir, ".fixture", target), { recursive: true });
  }
  return dir;
}

const opts = (app: string, restore?: string) => ({
  app,
  buildpackToml,
  platformEnv: { BP_JVM_VERSION: "17" },
  env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
  ...(restore ? { restore } : {}),
});

const log = (r: { stdout: string[] }) => r.stdout.join("\n");

describe("Maven outputs", () => {
  test("Quarkus fast-jar: run as java -jar target/quarkus-app/quarkus-run.jar with the tree intact, on QUARKUS_HTTP_PORT; a rebuild reuses it", async () => {
    const app = await mavenApp("quarkus", { ".": "quarkus" });
    const first = await runBuild(bp, opts(app));
    expect(log(first)).toContain("Runs the Quarkus fast-jar target/quarkus-app/quarkus-run.jar");
    expect(log(first)).toContain("SERVER_PORT, QUARKUS_HTTP_PORT from $PORT at launch (Quarkus)");
    expect(first.processes[0]?.command).toEqual(["java", "-jar", "target/quarkus-app/quarkus-run.jar"]);
    // Only what runs is left: no pom.xml, no mvnw, not the plain jar beside quarkus-app.
    expect(await readdir(first.app)).toEqual(["target"]);
    expect(await readdir(join(first.app, "target"))).toEqual(["quarkus-app"]);
    const answer = await askBuiltApp(first);
    expect(answer.body).toBe("quarkus layout=true");

    const again = await runBuild(bp, opts(app, first.layers));
    expect(log(again)).toContain("Source tree unchanged: reusing the previous build's artifact");
    expect((await askBuiltApp(again, { earlier: [first] })).body).toBe("quarkus layout=true");
  }, 300_000);

  test("Helidon's thin jar keeps target/libs beside it and reads SERVER_PORT", async () => {
    const r = await runBuild(bp, opts(await mavenApp("helidon", { ".": "helidon" })));
    expect(log(r)).toContain("Runs the jar target/demo.jar with its Class-Path (target/libs)");
    expect(log(r)).toContain("SERVER_PORT from $PORT at launch (Helidon)");
    expect(r.processes[0]?.command).toEqual(["java", "-jar", "target/demo.jar"]);
    // The thin jar is the app's own code: its classes count, but the SBOM lists only its libs/.
    const cdx = r.sbom("launch", "cdx") as { components: { name: string }[] };
    expect(cdx.components.map((c) => c.name)).toEqual(["helidon-webserver"]);
    expect((await askBuiltApp(r)).body).toBe("helidon");
  }, 300_000);

  test("the assembly plugin's jar-with-dependencies runs, not the plain jar without its dependency", async () => {
    const r = await runBuild(bp, opts(await mavenApp("assembly", { ".": "assembly" })));
    expect(log(r)).toContain("Runs the executable jar target/demo-1.0-jar-with-dependencies.jar");
    expect(r.processes[0]?.command).toEqual(["java", "-cp", ".", "app.Server"]);
    expect((await askBuiltApp(r)).body).toBe("assembly+dep");
  }, 300_000);

  test("classes + dependency/: the one class with a main method runs on target/classes:target/dependency/*", async () => {
    const r = await runBuild(bp, opts(await mavenApp("classpath", { ".": "classpath" })));
    expect(r.processes[0]?.command).toEqual(["java", "-cp", "target/classes:target/dependency/*", "app.Server"]);
    expect(readdirSync(join(r.app, "target")).sort()).toEqual(["classes", "dependency"]);
    expect((await askBuiltApp(r)).body).toBe("classpath+dep");
  }, 300_000);

  test("multi-module: the module with the runnable jar is chosen over a library and named in the log", async () => {
    const r = await runBuild(bp, opts(await mavenApp("multi", { lib: "library", web: "helidon" })));
    expect(log(r)).toContain("Module web is the one to run");
    expect(r.processes[0]?.command).toEqual(["java", "-jar", "web/target/demo.jar"]);
    expect((await askBuiltApp(r)).body).toBe("helidon");
  }, 300_000);

  test("BP_MAVEN_BUILT_MODULE picks between two runnable modules, which are otherwise an error naming both", async () => {
    const app = await mavenApp("two", { a: "assembly", b: "helidon" });
    await expect(runBuild(bp, opts(app))).rejects.toThrow("the Maven build produced 2 runnable modules: a, b");
    const r = await runBuild(bp, { ...opts(app), platformEnv: { BP_JVM_VERSION: "17", BP_MAVEN_BUILT_MODULE: "a" } });
    expect((await askBuiltApp(r)).body).toBe("assembly+dep");
  }, 300_000);

  test("a static WAR with a javaee web.xml runs in Tomcat 9 on $PORT, exec'd with no shell", async () => {
    const r = await runBuild(bp, opts(await mavenApp("war", { ".": "war" })));
    expect(log(r)).toContain("Runs the WAR target/demo.war");
    expect(log(r)).toContain("Apache Tomcat 9.0.117 for the WAR (javax.servlet: WEB-INF/web.xml's namespace)");
    expect(r.layer("tomcat").toml?.types).toEqual({ launch: true, build: false, cache: false });
    const cdx = r.sbom("tomcat", "cdx") as { components: { purl?: string }[] };
    expect(cdx.components.map((c) => c.purl)).toContain("pkg:maven/org.apache.tomcat/tomcat@9.0.117?type=tar.gz");
    // Tomcat's bundled manager and examples are not in the image.
    expect(readdirSync(join(r.layer("tomcat").path, "webapps"))).toEqual([]);
    expect(r.processes.map((p) => [p.type, p.command[0]])).toEqual([
      ["web", "java"],
      ["tomcat", "java"],
    ]);
    const answer = await askBuiltApp(r, { seconds: 90, path: "/index.html" });
    expect(answer).toMatchObject({ status: 200, body: "war on tomcat\n" });
  }, 300_000);

  test.each([
    ["jakarta", "10.1.59"],
    ["javax", "9.0.117"],
  ] as const)(
    "a %s servlet WAR (no web.xml) gets the Tomcat that loads it: %s",
    async (api, version) => {
      const r = await runBuild(bp, opts(await mavenApp(`${api}-war`, { ".": `${api}-war` })));
      expect(log(r)).toContain(
        `Apache Tomcat ${version} for the WAR (${api}.servlet: WEB-INF/classes/demo/Hello.class)`,
      );
      const answer = await askBuiltApp(r, { seconds: 90 });
      expect(answer).toMatchObject({ status: 200, body: `${api} servlet on Apache Tomcat/${version}` });
    },
    300_000,
  );

  test("a WAR whose web.xml is Servlet 6.1 (as Spring Framework 7 needs) runs exploded on Tomcat 11", async () => {
    const r = await runBuild(bp, opts(await mavenApp("servlet-61-war", { ".": "servlet-61-war" })));
    expect(log(r)).toContain("Apache Tomcat 11.0.24 for the WAR (jakarta.servlet 6.1: WEB-INF/web.xml's version)");
    expect(log(r)).toContain("Exploded target/demo.war into the app directory (3 files), Tomcat's docBase");
    expect(readdirSync(r.app).sort()).toEqual(["META-INF", "WEB-INF"]);
    const answer = await askBuiltApp(r, { seconds: 90 });
    expect(answer).toMatchObject({ status: 200, body: "jakarta servlet on Apache Tomcat/11.0.24" });
    const app = await mavenApp("servlet-61-on-10", { ".": "servlet-61-war" });
    const on10 = await runBuild(bp, { ...opts(app), platformEnv: { BP_JVM_VERSION: "17", BP_TOMCAT_VERSION: "10.1" } });
    expect(log(on10)).toContain(
      "Tomcat 10.1.59 does not serve jakarta.servlet 6.1, which the WAR uses (WEB-INF/web.xml's version): what it uses of 6.1 will fail.",
    );
  }, 300_000);

  test("BP_TOMCAT_VERSION wins, with a warning when its Tomcat cannot load the WAR's servlets", async () => {
    const app = await mavenApp("jakarta-on-9", { ".": "jakarta-war" });
    const r = await runBuild(bp, { ...opts(app), platformEnv: { BP_JVM_VERSION: "17", BP_TOMCAT_VERSION: "9" } });
    expect(log(r)).toContain("Apache Tomcat 9.0.117 for the WAR (BP_TOMCAT_VERSION)");
    expect(log(r)).toMatch(/Tomcat 9\.0\.117 does not serve jakarta\.servlet, which the WAR uses/);
    const bad = { ...opts(app), platformEnv: { BP_JVM_VERSION: "17", BP_TOMCAT_VERSION: "8.5" } };
    await expect(runBuild(bp, bad)).rejects.toThrow("BP_TOMCAT_VERSION=8.5 matches no Tomcat in the inventory");
  }, 300_000);
});

describe("prebuilt apps", () => {
  test("an exploded jar (META-INF/MANIFEST.MF at the root) of a Micronaut app gets MICRONAUT_SERVER_PORT", async () => {
    const r = await runBuild(bp, opts(fixtures.micronaut as string));
    expect(log(r)).toContain("SERVER_PORT, MICRONAUT_SERVER_PORT from $PORT at launch (Micronaut)");
    expect(() => r.layer("jdk")).toThrow();
    expect((await askBuiltApp(r)).body).toBe("micronaut");
  }, 300_000);

  test("quarkus-app's contents at the app root: quarkus-run.jar is kept with lib/, not exploded", async () => {
    const app = join(work, "apps", "quarkus-root");
    await cp(join(fixtures.quarkus as string, "quarkus-app"), app, { recursive: true });
    const r = await runBuild(bp, opts(app));
    expect(r.processes[0]?.command).toEqual(["java", "-jar", "quarkus-run.jar"]);
    expect(existsSync(join(r.app, "META-INF"))).toBe(false);
    expect((await askBuiltApp(r)).body).toBe("quarkus layout=true");
  }, 300_000);

  test("polyglot Maven: .mvn/extensions.xml with io.takari.polyglot and a pom.yaml passes detect as Maven", async () => {
    const ext =
      "<extensions><extension><groupId>io.takari.polyglot</groupId><artifactId>polyglot-yaml</artifactId><version>0.7.2</version></extension></extensions>\n";
    const d = await runDetect(bp, {
      app: { ".mvn/extensions.xml": ext, "pom.yaml": "modelVersion: 4.0.0\n" },
      buildpackToml,
    });
    expect(d.passed).toBe(true);
    expect(JSON.stringify(d.plans)).toContain(`"tool":"maven"`);
    const none = await runDetect(bp, { app: { ".mvn/extensions.xml": ext, "README.md": "x" }, buildpackToml });
    expect(none.passed).toBe(false);
  });
});
