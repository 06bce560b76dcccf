/**
 * bench:build's Java rows, for the Spring Boot example (examples/apps/java-hello, Maven
 * wrapper): the cold build, the warm no-op rebuild (an unchanged source tree skips Maven) and
 * the floor the issue names: the same `./mvnw package` run directly on the host with a warm
 * local repository (filled by one untimed run), the host's JDK, in the same run.
 */
import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "../test/e2e/support.js";
import { median, table } from "./stats.js";

/** What the Java rows need from the bench run. */
export interface JavaBenchInputs {
  /** A scratch dir of the run (removed by the caller). */
  work: string;
  /** A timed build of `appDir` into `output` with `cacheDir` (ms). */
  build(output: string, cacheDir: string, appDir: string): Promise<number>;
  /** The fixed lifecycle cost (median ms of a Procfile-only cold build). */
  fixedMs: number;
  runs: number;
  coldRuns: number;
  say(line: string): void;
}

/** The Maven arguments cnbkit/java runs by default (BP_MAVEN_BUILD_ARGUMENTS). */
const MAVEN_ARGS = ["package", "-DskipTests", "--batch-mode", "--no-transfer-progress", "--quiet"];

/** `./mvnw package` of `app` with `repo` as the local repository; returns ms. */
function mavenPackage(app: string, repo: string, home: string): number {
  const t0 = performance.now();
  const r = spawnSync("./mvnw", [...MAVEN_ARGS, `-Dmaven.repo.local=${repo}`], {
    cwd: app,
    encoding: "utf8",
    env: { ...process.env, MAVEN_USER_HOME: home },
  });
  if (r.status !== 0) throw new Error(`./mvnw package failed: ${r.stdout}${r.stderr}`);
  return performance.now() - t0;
}

/** Measures and prints the Java rows. */
export async function benchJavaBuilds(o: JavaBenchInputs): Promise<void> {
  const base = await mkdtemp(join(o.work, "java-"));
  try {
    const source = join(ROOT, "examples/apps/java-hello");
    const floorApp = join(base, "floor-app");
    await cp(source, floorApp, { recursive: true });
    const repo = join(base, "m2-repository");
    const home = join(base, "m2-home");
    o.say("java: floor set-up (untimed): one ./mvnw package on the host to fill the local repository");
    mavenPackage(floorApp, repo, home);
    const floor: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      await rm(join(floorApp, "target"), { recursive: true, force: true });
      floor.push(mavenPackage(floorApp, repo, home));
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
    const s = (xs: readonly number[]) => `${(median([...xs]) / 1000).toFixed(2)} s`;
    const all = (xs: readonly number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(" / ");
    const name = "java-hello (Spring Boot, mvnw)";
    console.log(`\nJava app builds (fixed lifecycle cost ${(o.fixedMs / 1000).toFixed(2)} s)\n`);
    table([
      ["measure", "median", "runs"],
      [`${name}: floor, ./mvnw package on the host with a warm ~/.m2`, s(floor), all(floor)],
      [`${name}: cold build (empty cache: JDK, Maven and ~/.m2 from nothing)`, s(cold), all(cold)],
      [`${name}: warm no-op rebuild (Maven skipped)`, s(warm), all(warm)],
      [`${name}: warm / cold`, `${((median(warm) / median(cold)) * 100).toFixed(0)} %`, "goal <= 15 %"],
      [
        `${name}: (cold - fixed lifecycle cost) / floor`,
        ((median(cold) - o.fixedMs) / median([...floor])).toFixed(1),
        "the floor's ~/.m2 is warm, the cold build's is not",
      ],
    ]);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}
