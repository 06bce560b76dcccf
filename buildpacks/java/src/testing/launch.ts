/**
 * Starts a harness build's web process as the CNB launcher would, and asks it over HTTP: the
 * launch env, then every exec.d program of the build's launch layers (the memory calculator,
 * the server-port helper, ...) with its fd-3 TOML applied, the runtime's bin/ on PATH, the
 * process's command in the app dir with PORT set to a free loopback port. The process is
 * stopped by its PID (its process group) before this returns.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { freePort, type runBuild } from "@cnbkit/framework/testing";

type BuildRun = Awaited<ReturnType<typeof runBuild>>;

/**
 * Runs a harness build's first process (a `java …` command) once with the JRE the launch env
 * names, in the app dir, and returns what it printed: for apps that print and exit rather
 * than serve.
 */
export function runJavaProcess(r: BuildRun): { stdout: string; stderr: string } {
  const env = r.launchEnv("web");
  const [java, ...args] = r.processes[0]?.command ?? [];
  const out = spawnSync(join(env.JAVA_HOME as string, "bin", java as string), args, { cwd: r.app, encoding: "utf8" });
  return { stdout: out.stdout, stderr: out.stderr };
}

/**
 * The environment after the exec.d programs of `layers` (names) ran, in order. A layer the
 * build reused from the previous image has no directory of its own: `earlier` (the builds
 * before, newest first) holds it, as the image would.
 */
export function execDEnv(
  built: BuildRun,
  layers: readonly string[],
  env: Record<string, string>,
  earlier: readonly BuildRun[] = [],
): Record<string, string> {
  const out = { ...env };
  for (const name of layers) {
    const holder = [built, ...earlier].find((b) => !b.layer(name).reusedFromImage);
    if (!holder) throw new Error(`layer ${name}: reused from an image no earlier build given made`);
    const dir = join(holder.layer(name).path, "exec.d");
    if (!existsSync(dir)) continue;
    for (const script of readdirSync(dir).sort()) {
      const r = spawnSync("sh", [join(dir, script)], {
        env: out,
        stdio: ["ignore", "pipe", "pipe", "pipe"],
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`exec.d ${name}/${script} failed: ${r.stderr}`);
      for (const m of String(r.output[3]).matchAll(/^(\w+) = "(.*)"$/gm)) out[m[1] as string] = m[2] as string;
    }
  }
  return out;
}

/**
 * Starts the default process with `env` on top of its launch env, waits for an answer to
 * GET `path` (up to `seconds`), stops it, and returns the status and body.
 */
export async function askBuiltApp(
  built: BuildRun,
  o: {
    env?: Record<string, string>;
    path?: string;
    seconds?: number;
    execD?: readonly string[];
    /** The builds before this one, newest first (for layers reused from the image). */
    earlier?: readonly BuildRun[];
  } = {},
): Promise<{ status: number; body: string; port: number }> {
  const port = await freePort();
  const launch = built.launchEnv("web");
  const base = {
    ...launch,
    PATH: `${join(launch.JAVA_HOME as string, "bin")}:/usr/bin:/bin`,
    PORT: String(port),
    TMPDIR: join(built.app, "..", "tmp"),
    ...o.env,
  };
  const env = execDEnv(built, o.execD ?? ["jvm_memory", "jvm_helpers"], base, o.earlier);
  const process0 = built.processes.find((p) => p.default) ?? built.processes[0];
  const [cmd, ...args] = process0?.command ?? [];
  if (!cmd) throw new Error("the build has no process");
  const child = spawn(cmd, [...args, ...(process0?.args ?? [])], {
    cwd: built.app,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  try {
    const tries = (o.seconds ?? 30) * 10;
    for (let i = 0; i < tries; i++) {
      if (child.exitCode !== null) throw new Error(`the process exited (${child.exitCode}): ${output.slice(-2000)}`);
      const res = await fetch(`http://127.0.0.1:${port}${o.path ?? "/"}`).catch(() => undefined);
      if (res) return { status: res.status, body: await res.text(), port };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no answer on port ${port} in ${o.seconds ?? 30} s: ${output.slice(-2000)}`);
  } finally {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGTERM");
      await exited;
    }
  }
}
