/**
 * Heroku-style Procfile apps through cnbkit/java and then cnbkit/procfile, as a builder's
 * group runs them: both detects on the app as given, then java's build (which replaces the
 * app dir with the exploded jar), then procfile's build on the app dir java left. The web
 * process is then run as the launcher would: `bash -c` with the launch env and the memory
 * calculator's JAVA_TOOL_OPTIONS. Gradle is the stand-in of testing/fake-gradle.ts, compiling
 * with the local Debian JDK 17.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuildRun, removeTempDirs, runBuild, runDetect } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import procfile from "../../procfile/src/index.js";
import bp from "./index.js";
import { MEMORY_CALCULATOR_EXEC_D } from "./memory-calculator.js";
import { FAKE_GRADLE } from "./testing/fake-gradle.js";
import { plainJar } from "./testing/java-apps.js";
import { testBuildpackToml } from "./testing/local-inventory.js";

let buildpackToml: string;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-java-procfile-"));
  buildpackToml = await testBuildpackToml({ jre: "17", jdk: true });
}, 600_000);
afterAll(async () => {
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

const HEROKU_LINE = "web: java $JAVA_OPTS -Dserver.port=$PORT -jar build/libs/*.jar\n";

/** A Gradle app (fake gradlew) whose main prints the server.port it was given and its heap limit. */
async function gradleApp(name: string, procfileText: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, "src/main/java/demo"), { recursive: true });
  await writeFile(join(dir, "build.gradle"), "plugins { id 'java' }\n");
  await writeFile(join(dir, "settings.gradle"), "rootProject.name = 'demo'\n");
  await writeFile(join(dir, "gradlew"), FAKE_GRADLE);
  await writeFile(join(dir, "Procfile"), procfileText);
  await writeFile(
    join(dir, "src/main/java/demo/App.java"),
    `package demo;
public class App {
  public static void main(String[] a) {
    System.out.println("port " + System.getProperty("server.port") + " max heap " + Runtime.getRuntime().maxMemory());
  }
}
`,
  );
  return dir;
}

/** java's build, then procfile's on what java left, each with its own detect's plan on the app as given. */
async function buildGroup(app: string, restore?: { java: BuildRun }) {
  const env = { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" };
  const detected = await runDetect(procfile, { app });
  expect(detected.passed).toBe(true);
  const plan = detected.plans[0]?.requires.map((r) => ({ name: r.name, metadata: r.metadata ?? {} })) ?? [];
  const java = await runBuild(bp, {
    app,
    buildpackToml,
    env,
    platformEnv: { BP_JVM_VERSION: "17" },
    ...(restore ? { restore: restore.java.layers } : {}),
  });
  const proc = await runBuild(procfile, { app: java.app, plan, env });
  return { java, proc };
}

/**
 * Runs the web process as the launcher would: exec.d's JAVA_TOOL_OPTIONS (a 1 GiB cgroup), then
 * bash -c. `calculator` is the build whose jvm_memory layer has the script (a rebuild reuses the
 * layer from the image and has no directory of its own).
 */
async function runWeb(java: BuildRun, command: string[], extra: Record<string, string> = {}, calculator = java) {
  const env = java.launchEnv("web");
  const root = join(work, `cgroup-${Math.random().toString(36).slice(2)}`);
  await mkdir(join(root, "sys/fs/cgroup"), { recursive: true });
  await writeFile(join(root, "sys/fs/cgroup/memory.max"), `${2 ** 30}\n`);
  const path = `${join(env.JAVA_HOME as string, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`;
  const calc = spawnSync("sh", [join(calculator.layer("jvm_memory").path, "exec.d", MEMORY_CALCULATOR_EXEC_D)], {
    env: { ...env, PATH: path, CNB_JAVA_SYSTEM_ROOT: root },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    encoding: "utf8",
  });
  expect(calc.status, calc.stderr).toBe(0);
  const toolOptions = /^JAVA_TOOL_OPTIONS = "(.*)"$/m.exec(String(calc.output[3]))?.[1] ?? "";
  const [cmd, ...args] = command;
  const r = spawnSync(cmd as string, args, {
    cwd: java.app,
    env: { ...env, PATH: path, PORT: "5000", JAVA_TOOL_OPTIONS: toolOptions, ...extra },
    encoding: "utf8",
  });
  return { ...r, toolOptions };
}

test("Heroku's `java $JAVA_OPTS -Dserver.port=$PORT -jar build/libs/*.jar` runs the built jar, on the first build and on a rebuild that skipped Gradle", async () => {
  const dir = await gradleApp("gradle-procfile", HEROKU_LINE);
  const first = await buildGroup(dir);
  const log = first.java.stdout.join("\n");
  expect(log).toContain("Kept for the Procfile: Procfile, build/libs/demo.jar");
  // Exploded as before (the inferred processes still work), and the jar the Procfile runs kept.
  expect(existsSync(join(first.java.app, "demo", "App.class"))).toBe(true);
  expect(existsSync(join(first.java.app, "build/libs/demo.jar"))).toBe(true);
  // Only the jar the build chose: `-jar build/libs/*.jar` must expand to one word.
  expect(existsSync(join(first.java.app, "build/libs/demo-plain.jar"))).toBe(false);
  expect(existsSync(join(first.java.app, "build.gradle"))).toBe(false);
  expect(first.proc.processes).toEqual([
    { type: "web", command: ["bash", "-c", HEROKU_LINE.slice(5, -1)], default: true },
  ]);
  const web = await runWeb(first.java, first.proc.processes[0]?.command ?? []);
  expect(web.stderr).toContain(`Picked up JAVA_TOOL_OPTIONS: ${web.toolOptions}`);
  const xmx = /-Xmx(\d+)K/.exec(web.toolOptions)?.[1];
  const heap = Number(/max heap (\d+)/.exec(web.stdout)?.[1]);
  expect(web.stdout).toMatch(/^port 5000 max heap \d+\n$/);
  // The memory calculator's -Xmx reached the JVM (which reports it rounded to its alignment).
  expect(Math.abs(heap / (Number(xmx) * 1024) - 1)).toBeLessThan(0.01);
  // A user's JAVA_OPTS (a platform env var at launch) reaches the command line.
  const opts = await runWeb(first.java, first.proc.processes[0]?.command ?? [], { JAVA_OPTS: "-Dserver.port=1" });
  expect(opts.stdout).toMatch(/^port 5000 /); // the line's own -Dserver.port comes after $JAVA_OPTS

  const again = await buildGroup(dir, { java: first.java });
  expect(again.java.stdout.join("\n")).toContain("Source tree unchanged: reusing the previous build's artifact");
  expect(again.java.stdout.join("\n")).toContain("Kept for the Procfile: Procfile, build/libs/demo.jar");
  const rerun = await runWeb(again.java, again.proc.processes[0]?.command ?? [], {}, first.java);
  expect(rerun.stdout).toMatch(/^port 5000 max heap \d+\n$/);
}, 600_000);

test("a prebuilt jar named by the Procfile (`java -jar app.jar`) and a classes dir it names stay where it says", async () => {
  const dir = join(work, "prebuilt");
  await mkdir(join(dir, "conf"), { recursive: true });
  await plainJar(dir, join(work, "prebuilt-src"));
  await writeFile(join(dir, "conf/app.properties"), "x=1\n");
  await writeFile(join(dir, "Procfile"), "web: java -Dconf=conf/app.properties -jar app.jar\nworker: ls conf\n");
  const { java, proc } = await buildGroup(dir);
  expect(java.stdout.join("\n")).toContain("Kept for the Procfile: Procfile, app.jar, conf");
  const web = await runWeb(java, proc.processes.find((p) => p.type === "web")?.command ?? []);
  expect(web.stdout).toMatch(/^hello from a plain jar, max heap \d+\n$/);
  const worker = await runWeb(java, proc.processes.find((p) => p.type === "worker")?.command ?? []);
  expect(worker.stdout).toBe("app.properties\n");
}, 300_000);
