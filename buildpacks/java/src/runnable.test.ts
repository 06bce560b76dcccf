import { expect, test } from "vitest";
import { parseJarManifest } from "./jar-manifest.js";
import { chooseModule } from "./module-choice.js";
import { chooseRunnable, pomMainClass, type RunnableInputs } from "./runnable.js";
import { runnableCommand } from "./runnable-command.js";

const mf = (text: string) => parseJarManifest(text);
const inputs = (files: string[], jars: Record<string, [string, number]> = {}, extra: Partial<RunnableInputs> = {}) => ({
  dir: "target",
  files: [...files, ...Object.keys(jars)],
  manifests: new Map(Object.entries(jars).map(([j, [m]]) => [j, mf(m)])),
  sizes: new Map(Object.entries(jars).map(([j, [, s]]) => [j, s])),
  ...extra,
});

test.each([
  [
    "Quarkus fast-jar: quarkus-app kept whole, beside the plain jar Maven also makes",
    inputs(["target/quarkus-app/quarkus-run.jar", "target/quarkus-app/lib/boot/a.jar"], {
      "target/demo-1.0.jar": ["Manifest-Version: 1.0\n", 10],
    }),
    { kind: "jar", jar: "target/quarkus-app/quarkus-run.jar", keep: ["target/quarkus-app"] },
  ],
  [
    "Helidon's thin jar: Class-Path into libs/ that exist",
    inputs(["target/libs/helidon-webserver-3.2.jar", "target/libs/x.jar"], {
      "target/app.jar": ["Main-Class: a.Main\nClass-Path: libs/helidon-webserver-3.2.jar libs/x.jar\n", 5],
    }),
    { kind: "jar", jar: "target/app.jar", keep: ["target/app.jar", "target/libs"] },
  ],
  [
    "a Class-Path that names missing files is a self-contained jar to explode",
    inputs([], { "target/app.jar": ["Main-Class: a.Main\nClass-Path: lib/gone.jar\n", 5] }),
    { kind: "exploded", jar: "target/app.jar" },
  ],
  [
    "the assembly plugin's jar-with-dependencies beats the plain jar (both executable)",
    inputs([], {
      "target/app-1.0.jar": ["Main-Class: a.Main\n", 3_000],
      "target/app-1.0-jar-with-dependencies.jar": ["Main-Class: a.Main\n", 900_000],
    }),
    { kind: "exploded", jar: "target/app-1.0-jar-with-dependencies.jar" },
  ],
  [
    "only the jar-with-dependencies is executable",
    inputs([], {
      "target/app-1.0.jar": ["Manifest-Version: 1.0\n", 3_000],
      "target/app-1.0-jar-with-dependencies.jar": ["Main-Class: a.Main\n", 9_000],
      "target/app-1.0-sources.jar": ["Main-Class: a.Main\n", 99_000],
    }),
    { kind: "exploded", jar: "target/app-1.0-jar-with-dependencies.jar" },
  ],
  [
    "a WAR",
    inputs(["target/app.war", "target/classes/a/Servlet.class"], { "target/app-classes.jar": ["X: y\n", 1] }),
    { kind: "war", war: "target/app.war" },
  ],
  [
    "classes + dependency/ with the one main class found",
    inputs(
      ["target/classes/a/Main.class", "target/classes/a/Util.class", "target/dependency/x-1.jar"],
      {
        "target/app.jar": ["Manifest-Version: 1.0\n", 1],
      },
      { mainClasses: ["a.Main"] },
    ),
    { kind: "classpath", classes: "target/classes", dependencies: "target/dependency", mainClass: "a.Main" },
  ],
  [
    "the pom's mainClass wins over the scan",
    inputs(
      ["target/classes/a/Main.class", "target/classes/b/Tool.class"],
      {},
      {
        mainClasses: ["a.Main", "b.Tool"],
        pomMainClass: "b.Tool",
      },
    ),
    { kind: "classpath", classes: "target/classes", mainClass: "b.Tool" },
  ],
  [
    "a library (classes with no main, a plain jar) runs nothing",
    inputs(["target/classes/a/Util.class"], { "target/lib.jar": ["Manifest-Version: 1.0\n", 1] }),
    undefined,
  ],
])("%s", (_name, given, want) => {
  expect(chooseRunnable(given)).toEqual(want);
});

test("two main classes and no name for one: the error lists them and says where to name it", () => {
  const given = inputs(["target/classes/a/A.class", "target/classes/b/B.class"], {}, { mainClasses: ["a.A", "b.B"] });
  expect(() => chooseRunnable(given)).toThrow(
    "target/classes has 2 classes with a main method (a.A, b.B) and no executable jar was built",
  );
});

test.each([
  ["<plugin><configuration><mainClass>com.x.App</mainClass></configuration></plugin>", "com.x.App"],
  ["build:\n  plugins:\n    - configuration: {mainClass: 'com.y.Main'}\n", "com.y.Main"],
  ["<project/>", undefined],
])("pomMainClass(%j)", (pom, want) => {
  expect(pomMainClass(pom)).toBe(want);
});

test("multi-module: the module with an executable jar is chosen over a library and a classes-only one", () => {
  const found = chooseModule([
    { module: "cli", runnable: { kind: "classpath", classes: "cli/target/classes", mainClass: "c.Cli" } },
    { module: "web", runnable: { kind: "exploded", jar: "web/target/web.jar" } },
  ]);
  expect(found.module).toBe("web");
});

test("multi-module: two executable modules ask for BP_MAVEN_BUILT_MODULE; none is one line too", () => {
  const two = [
    { module: "a", runnable: { kind: "exploded", jar: "a/target/a.jar" } },
    { module: "b", runnable: { kind: "jar", jar: "b/target/b.jar", keep: [] } },
  ] as const;
  expect(() => chooseModule(two)).toThrow("the Maven build produced 2 runnable modules: a, b");
  expect(() => chooseModule([])).toThrow("the Maven build produced nothing to run");
});

test.each([
  [
    { kind: "jar", jar: "target/quarkus-app/quarkus-run.jar", keep: ["target/quarkus-app"] } as const,
    ["java", "-jar", "target/quarkus-app/quarkus-run.jar"],
  ],
  [
    { kind: "classpath", classes: "target/classes", dependencies: "target/dependency", mainClass: "a.Main" } as const,
    ["java", "-cp", "target/classes:target/dependency/*", "a.Main"],
  ],
  [
    { kind: "war", war: "target/my app.war" } as const,
    [
      "java",
      "-Dcatalina.home=/layers/j/tomcat",
      "-Dcnbkit.docbase=/workspace",
      "-cp",
      "/layers/j/tomcat/bin/bootstrap.jar:/layers/j/tomcat/bin/tomcat-juli.jar",
      "org.apache.catalina.startup.Bootstrap",
      "start",
    ],
  ],
])("runnableCommand %#: exec'd directly, no shell", (r, command) => {
  expect(runnableCommand(r, { tomcat: "/layers/j/tomcat", appDir: "/workspace" })).toEqual(command);
});

test("quarkus-app's own contents at the app root: all of it is kept (the runner reads app/ and quarkus/)", () => {
  const files = ["quarkus-run.jar", "lib/boot/r.jar", "app/demo.jar", "quarkus/quarkus-application.dat"];
  expect(chooseRunnable({ ...inputs(files), dir: "." })).toEqual({
    kind: "jar",
    jar: "quarkus-run.jar",
    keep: ["app", "lib", "quarkus", "quarkus-run.jar"],
  });
});
