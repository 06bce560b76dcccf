/**
 * bench:build's Java rows (BENCH_JAVA_STARTUP_ONLY=1: only the startup rows), for the Spring Boot example (examples/apps/java-hello: Spring Boot
 * 3.5, Maven wrapper, Java 21): the cold build, the warm no-op rebuild (an unchanged source
 * tree skips Maven), the floor the issue names: the same `./mvnw package` run directly on the
 * host in the same run, with an empty local repository (as the cold build has) and with a warm
 * one, the app image's size against Paketo's published figure, and the image's time to its
 * first HTTP answer without and with a CDS archive (Java 21) and an AOT cache (Java 25)
 * (bench/java-startup.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { mavenArguments } from "../buildpacks/java/src/maven-args.js";
import { ROOT } from "../test/e2e/support.js";
import type { EditTool } from "./edit-rebuild.js";
import { imageLayerSizes } from "./image-size.js";
import { measureStartups, type StartupImage, startupRows } from "./java-startup.js";
import { median, table } from "./stats.js";

/** What the Java rows need from the bench run. */
export interface JavaBenchInputs {
  /** A scratch dir of the run (removed by the caller). */
  work: string;
  /** A timed build of `appDir` into `output` with `cacheDir` and platform `env` (ms). */
  build(output: string, cacheDir: string, appDir: string, env?: Record<string, string>): Promise<number>;
  /** The fixed lifecycle cost (median ms of a Procfile-only cold build). */
  fixedMs: number;
  runs: number;
  coldRuns: number;
  say(line: string): void;
}

/** The Maven arguments cnbkit/java runs by default (BP_MAVEN_BUILD_ARGUMENTS). */
const MAVEN_ARGS = ["package", "-DskipTests", "--batch-mode", "--no-transfer-progress", "--quiet"];

/** Starts of each image for the startup rows (the issue asks for a median of 5). */
const STARTUP_RUNS = 5;

/** The Java release java-hello asks for (pom.xml `java.version`). */
const APP_JAVA = 21;

/**
 * A host JDK that can compile for {@link APP_JAVA}: the newest under /usr/lib/jvm whose
 * `release` file says so, or undefined (then `./mvnw` takes the PATH's java, and the floor
 * compiles for that JDK's own release instead).
 */
function hostJdk(): { home: string; major: number } | undefined {
  const jdks: { home: string; major: number }[] = [];
  const root = "/usr/lib/jvm";
  for (const name of existsSync(root) ? readdirSync(root) : []) {
    const release = join(root, name, "release");
    if (!existsSync(release) || !existsSync(join(root, name, "bin", "javac"))) continue;
    const m = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(release, "utf8"));
    if (m) jdks.push({ home: join(root, name), major: Number(m[1]) });
  }
  return jdks.filter((j) => j.major >= APP_JAVA).sort((a, b) => b.major - a.major)[0];
}

/** `./mvnw package` of `app` with `repo` as the local repository; returns ms. */
function mavenPackage(app: string, repo: string, home: string, extra: string[] = [], javaHome?: string): number {
  const t0 = performance.now();
  const r = spawnSync("./mvnw", [...MAVEN_ARGS, `-Dmaven.repo.local=${repo}`, ...extra], {
    cwd: app,
    encoding: "utf8",
    env: { ...process.env, MAVEN_USER_HOME: home, ...(javaHome ? { JAVA_HOME: javaHome } : {}) },
  });
  if (r.status !== 0) throw new Error(`./mvnw package failed: ${r.stdout}${r.stderr}`);
  return performance.now() - t0;
}

/**
 * The Java tool's own time after a one-line edit (bench/edit-rebuild.ts): the command
 * cnbkit/java runs, `./mvnw` with its default arguments (DEFAULT_MAVEN_ARGUMENTS: no `-o`, no
 * `--quiet`, no `clean`) and the local repository in MAVEN_OPTS as the buildpack passes it, on
 * the host, in `app` (its target/ kept from the last run, as the buildpack keeps it in
 * maven_target with a layer cache) with a warm local repository, filled by one untimed run.
 * The one difference left is the JDK: the host's (Temurin 25 here), since the buildpack's
 * Debian 21 needs glibc 2.38.
 */
export async function javaEditTool(app: string, work: string): Promise<EditTool> {
  const base = await mkdtemp(join(work, "java-edit-"));
  const repo = join(base, "m2-repository");
  const home = join(base, "m2-home");
  const jdk = hostJdk();
  const extra = jdk ? [] : ["-Djava.version=17"];
  const args = [...mavenArguments({}), ...extra];
  const run = () => {
    const t0 = performance.now();
    const r = spawnSync("./mvnw", args, {
      cwd: app,
      encoding: "utf8",
      env: {
        ...process.env,
        MAVEN_USER_HOME: home,
        MAVEN_OPTS: `-Dmaven.repo.local=${repo}`,
        ...(jdk ? { JAVA_HOME: jdk.home } : {}),
      },
    });
    if (r.status !== 0) throw new Error(`./mvnw ${args.join(" ")} failed: ${r.stdout}${r.stderr}`);
    return performance.now() - t0;
  };
  run();
  return {
    note: `./mvnw ${args.join(" ")}, target/ kept, warm ~/.m2, ${jdk ? `host JDK ${jdk.major}` : "host java"}: the buildpack's command`,
    run: async () => run(),
    done: () => rm(base, { recursive: true, force: true }),
  };
}

/** Measures and prints the Java rows. */
export async function benchJavaBuilds(o: JavaBenchInputs): Promise<void> {
  const base = await mkdtemp(join(o.work, "java-"));
  try {
    const source = join(ROOT, "examples/apps/java-hello");
    if (process.env.BENCH_JAVA_STARTUP_ONLY === "1") {
      // Just the startup rows: one cold build to start from, no floor and no build rounds.
      const app = join(base, "app");
      await cp(source, app, { recursive: true });
      const last = join(base, "out", "0");
      await mkdir(last, { recursive: true });
      await o.build(`oci:${join(last, "image")}:latest`, join(last, "cache"), app);
      await benchJavaStartup(o, base, app, last);
      return;
    }
    const floorApp = join(base, "floor-app");
    await cp(source, floorApp, { recursive: true });
    const repo = join(base, "m2-repository");
    const home = join(base, "m2-home");
    const jdk = hostJdk();
    // Without a JDK >= 21 on the host, compile for the host's own release: the same work.
    const extra = jdk ? [] : ["-Djava.version=17"];
    const jdkNote = jdk ? `host JDK ${jdk.major}` : "host java, -Djava.version=17";
    o.say(`java: floor, ./mvnw package on the host (${jdkNote}): first with an empty local repository, then warm`);
    // The first run also downloads Maven itself (the wrapper's MAVEN_USER_HOME), as the cold build does.
    const floorCold = mavenPackage(floorApp, repo, home, extra, jdk?.home);
    const floor: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      await rm(join(floorApp, "target"), { recursive: true, force: true });
      floor.push(mavenPackage(floorApp, repo, home, extra, jdk?.home));
    }

    o.say(`java: ${o.coldRuns} cold builds and ${o.runs + 2} warm no-op rebuilds of java-hello`);
    const app = join(base, "app");
    await cp(source, app, { recursive: true });
    const cold: number[] = [];
    for (let i = 0; i < o.coldRuns; i++) {
      const dir = join(base, "out", String(i));
      await mkdir(dir, { recursive: true });
      cold.push(await o.build(`oci:${join(dir, "image")}:latest`, join(dir, "cache"), app));
    }
    const last = join(base, "out", String(o.coldRuns - 1));
    const warm: number[] = [];
    for (let i = 0; i < o.runs + 2; i++) {
      warm.push(await o.build(`oci:${join(last, "image")}:latest`, join(last, "cache"), app));
    }
    const layers = await imageLayerSizes(`oci:${join(last, "image")}:latest`);
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
    const sum = (pick: (l: (typeof layers)[number]) => boolean, key: "compressed" | "uncompressed" = "uncompressed") =>
      layers.filter(pick).reduce((a, l) => a + l[key], 0);
    const total = sum(() => true);
    const s = (xs: readonly number[]) => `${(median([...xs]) / 1000).toFixed(2)} s`;
    const all = (xs: readonly number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(" / ");
    const name = "java-hello (Spring Boot, mvnw)";
    console.log(`\nJava app builds (fixed lifecycle cost ${(o.fixedMs / 1000).toFixed(2)} s)\n`);
    table([
      ["measure", "median", "runs"],
      [`${name}: floor, ./mvnw package on the host, empty ~/.m2 (${jdkNote}; 1 run)`, s([floorCold]), all([floorCold])],
      [`${name}: floor, ./mvnw package on the host with a warm ~/.m2`, s(floor), all(floor)],
      [`${name}: cold build (empty cache: JDK, Maven and ~/.m2 from nothing)`, s(cold), all(cold)],
      [`${name}: warm no-op rebuild (Maven skipped)`, s(warm), all(warm)],
      [`${name}: warm / cold`, `${((median(warm) / median(cold)) * 100).toFixed(0)} %`, "goal <= 15 %"],
      [
        `${name}: (cold - fixed lifecycle cost) / floor`,
        ((median(cold) - o.fixedMs) / median([...floor])).toFixed(1),
        "the floor's ~/.m2 is warm, the cold build's is not",
      ],
      [
        `${name}: (cold - fixed lifecycle cost) / floor with an empty ~/.m2`,
        ((median(cold) - o.fixedMs) / floorCold).toFixed(1),
        "both download ~/.m2",
      ],
    ]);
    console.log(
      `\n${name}: image size (unpacked, as docker images counts; Paketo: 368 MB for Spring Boot 3.5 on Java 25, 275 MB of it the JRE)\n`,
    );
    table([
      ["part", "unpacked", "compressed"],
      ["whole image", mb(total), mb(sum(() => true, "compressed"))],
      [
        "run image (Debian 13)",
        mb(sum((l) => l.origin === "run image")),
        mb(sum((l) => l.origin === "run image", "compressed")),
      ],
      [
        "JRE (cnbkit/java:jre)",
        mb(sum((l) => l.origin.endsWith(":jre"))),
        mb(sum((l) => l.origin.endsWith(":jre"), "compressed")),
      ],
      [
        "the app and the rest (launcher, helpers, SBOM)",
        mb(sum((l) => l.origin !== "run image" && !l.origin.endsWith(":jre"))),
        mb(sum((l) => l.origin !== "run image" && !l.origin.endsWith(":jre"), "compressed")),
      ],
    ]);
    await benchJavaStartup(o, base, app, last);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

/**
 * The startup rows: java-hello built from `last`'s image and cache with a CDS archive (Java
 * 21), and on Java 25 with and without an AOT cache, then {@link STARTUP_RUNS} starts of each.
 */
async function benchJavaStartup(o: JavaBenchInputs, base: string, app: string, last: string): Promise<void> {
  o.say("java: java-hello with a CDS archive (Java 21), and on Java 25 without and with an AOT cache");
  // The earlier builds' cache: Maven's repository is there, and the images differ only in
  // what these settings add.
  const variant = async (name: string, env: Record<string, string>): Promise<StartupImage> => {
    const image = `oci:${join(base, "out", name.replace(/\W+/g, "-"), "image")}:latest`;
    const ms = await o.build(image, join(last, "cache"), app, env);
    o.say(`java: ${name} image built in ${(ms / 1000).toFixed(1)} s`);
    return { name, image };
  };
  const startups: StartupImage[] = [
    { name: "Java 21, no cache", image: `oci:${join(last, "image")}:latest` },
    await variant("Java 21, CDS archive (BP_JVM_CDS_ENABLED)", { BP_JVM_CDS_ENABLED: "true" }),
    await variant("Java 25, AOT cache (BP_JVM_AOTCACHE_ENABLED)", {
      BP_JVM_VERSION: "25",
      BP_JVM_AOTCACHE_ENABLED: "true",
    }),
    await variant("Java 25, no cache", { BP_JVM_VERSION: "25" }),
  ];
  const loadBefore = loadAverage();
  o.say(`java: ${STARTUP_RUNS} starts of each image, interleaved (load average ${loadBefore})`);
  const figures = await measureStartups(startups, STARTUP_RUNS);
  console.log(
    `\njava-hello (Spring Boot, mvnw): time to the first HTTP answer from the container's start (cnbkit run's runc), median of ${STARTUP_RUNS}; load average before ${loadBefore}, after ${loadAverage()}\n`,
  );
  table([
    ["image", "first answer", "Spring's process running for", "first answer, runs"],
    ...startupRows(startups, figures),
  ]);
}

/** The 1, 5 and 15 minute load averages, as `uptime` prints them. */
function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");
}
