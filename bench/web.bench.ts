/**
 * cnbkit/web's serving throughput (issue 71: goal >= 0.95x of nginx run by hand): requests per
 * second for index.html and a 100 KB fingerprinted asset, `ab -k -c 16` (keep-alive), medians
 * of alternated rounds, every variant against the floor measured in the same process:
 *
 * - `hand`: the same nginx binary and the same rendered nginx.conf, run by hand
 *   (`nginx -c … -g 'daemon off;'`), its stdout (the access log) to a file. The floor.
 * - `launcher`: the buildpack's own launcher (bin/start-nginx, as the build writes it) with its
 *   stdout a socket that this process reads, as `cnbkit run` and a Node.js parent read it.
 * - `launcher-file`: the launcher with its stdout a file, as a log driver that writes files has it.
 * - `container` (with CNBKIT_WEB_BENCH_CONTAINER=1): the same site built into an image by the
 *   local reference builder (test/e2e's, made or reused by referenceBuilder()) and served under
 *   `cnbkit run` (runc, host network), its output read line by line by this process.
 *
 * nginx is the inventory's: Debian's .debs, extracted by the framework as the buildpack does.
 * Usage: node bench/run.mjs bench/web.bench.ts [rounds=5] [requests=20000]
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, open, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extract } from "@cnbkit/framework/dependencies";
import { buildApp } from "../builder-packager/src/platform/index.js";
import { runApp } from "../builder-packager/src/platform/run.js";
import { launcherScript, renderTemplate } from "../buildpacks/web/src/launch-script.js";
import { nginxConf } from "../buildpacks/web/src/nginx-conf.js";
import { TRIXIE } from "../tools/local-builder/debian-index.js";
import { localNginxDebs } from "../tools/local-builder/local-nginx.js";
import { referenceBuilder } from "../test/e2e/support.js";
import { median, peakRssMb, table } from "./stats.js";

// node bench/run.mjs bench/web.bench.ts [rounds] [requests]: the arguments after this file's.
const args = process.argv.slice(process.argv.findIndex((a) => a.endsWith("web.bench.ts")) + 1);
const ROUNDS = Number(args[0] ?? 5);
const REQUESTS = Number(args[1] ?? 20000);
const PATHS = { "index.html": "/", "100 KB asset": "/assets/app-3f2a9c1b.js" } as const;

/** A started server: its port and how to stop it. */
interface Server {
  port: number;
  stop(): Promise<void>;
}

type Variant = { name: string; start(): Promise<Server> };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until `port` answers HTTP (or the process exits). */
async function ready(port: number, exited: () => boolean, log: () => string): Promise<void> {
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/cnbkit/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (exited()) throw new Error(`server exited before it listened:\n${log()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The CPU cgroup root, when this process may make cgroups (root, v1 `cpu` or v2). A container
 * runs in a cpu cgroup of its own (runc makes one), which the scheduler weighs as ONE entity
 * against every process of the parent group: on a machine loaded by others, all of nginx's
 * workers then share one process's slice while nginx run by hand gets one per worker. So the
 * processes run here get a cgroup of their own too, and every variant is scheduled alike.
 */
function cgroupRoot(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (existsSync("/sys/fs/cgroup/cpu/cgroup.procs")) return "/sys/fs/cgroup/cpu";
  if (existsSync("/sys/fs/cgroup/cgroup.controllers")) return "/sys/fs/cgroup";
  return undefined;
}

/** `argv` run inside a new cpu cgroup (when {@link cgroupRoot} allows), and how to remove it. */
async function inOwnCgroup(argv: string[]): Promise<{ argv: string[]; remove(): Promise<void> }> {
  const root = cgroupRoot();
  if (!root) return { argv, remove: async () => {} };
  const dir = join(root, `cnbkit-web-bench-${process.pid}-${Math.random().toString(16).slice(2, 8)}`);
  await mkdir(dir);
  return {
    // The shell joins the cgroup, then execs: nginx and its workers are born in it.
    argv: ["/bin/sh", "-c", `echo $$ > ${dir}/cgroup.procs && exec "$@"`, "sh", ...argv],
    remove: () => rmdir(dir).catch(() => {}),
  };
}

/** Starts `argv` with its stdout a file (`file`) or a socket this process reads (`socket`). */
async function startProcess(
  command: string[],
  env: Record<string, string>,
  stdout: "file" | "socket",
  logFile: string,
) {
  const fh = stdout === "file" ? await open(logFile, "w") : undefined;
  const port = Number(env.PORT);
  const { argv, remove } = await inOwnCgroup(command);
  const child = spawn(argv[0] as string, argv.slice(1), {
    env: { PATH: "/usr/bin:/bin", ...env },
    stdio: ["ignore", fh ? fh.fd : "pipe", fh ? fh.fd : "pipe"],
  });
  let log = "";
  let bytes = 0;
  // Read as a log reader does (line by line into memory would cost more; this is the floor of reading).
  child.stdout?.on("data", (d: Buffer) => {
    bytes += d.length;
  });
  child.stderr?.on("data", (d: Buffer) => {
    if (log.length < 4096) log += d;
  });
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  await ready(
    port,
    () => child.exitCode !== null,
    () => log,
  );
  return {
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      await fh?.close();
      await remove();
      void bytes;
    },
  };
}

/**
 * One ab run: requests per second. Asynchronous: this process must go on reading the servers'
 * stdout while ab runs (a reader that stops makes nginx block on its access log).
 */
async function ab(port: number, path: string, requests: number): Promise<number> {
  const child = spawn("ab", ["-q", "-k", "-c", "16", "-n", String(requests), `http://127.0.0.1:${port}${path}`]);
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  await new Promise((r) => child.on("close", r));
  const rps = /Requests per second:\s+([\d.]+)/.exec(out)?.[1];
  const failed = /Failed requests:\s+(\d+)/.exec(out)?.[1];
  if (!rps || failed !== "0") throw new Error(`ab ${path}: ${out}`);
  return Number(rps);
}

/** nginx from the inventory's .debs, laid out as install-nginx.ts lays it: sbin/nginx, conf/mime.types. */
async function nginxHome(work: string): Promise<string> {
  const [nginx, common] = (await localNginxDebs("amd64", TRIXIE)).debs;
  const home = join(work, "nginx");
  await extract(nginx?.path as string, home, { strip: 1, exclude: ["share"] });
  await extract(common?.path as string, join(work, "common"));
  await mkdir(join(home, "conf"));
  await rename(join(work, "common/etc/nginx/mime.types"), join(home, "conf/mime.types"));
  return home;
}

/** The site: an index.html and a 100 KB fingerprinted asset, as a Vite build writes them. */
async function site(work: string): Promise<string> {
  const root = join(work, "site");
  await mkdir(join(root, "assets"), { recursive: true });
  const html = `<!doctype html><html><head><script type="module" src="/assets/app-3f2a9c1b.js"></script></head><body><div id="root"></div>${"<p>static</p>".repeat(40)}</body></html>\n`;
  await writeFile(join(root, "index.html"), html);
  // Minified-JS-like text (compressible, as a real bundle is), 100 KB.
  let js = "";
  for (let i = 0; js.length < 102400; i++) js += `function f${i}(a,b){return a*${i}+b}`;
  await writeFile(join(root, "assets/app-3f2a9c1b.js"), js.slice(0, 102400));
  return root;
}

/** The site built into an image with the local reference builder, as a user's `cnbkit build` does. */
async function siteImage(root: string, work: string): Promise<string> {
  const image = `oci:${join(work, "image")}:latest`;
  const t0 = performance.now();
  await buildApp({
    appDir: root,
    builder: await referenceBuilder((l) => console.error(l)),
    output: image,
    cacheDir: join(work, "cache"),
    onOutput: () => {},
  });
  console.log(`container: the site built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return image;
}

function variants(work: string, home: string, root: string, image?: string): Variant[] {
  const template = nginxConf({ root, pushState: true, forceHttps: false });
  const launcher = join(work, "start-nginx");
  const out: Variant[] = [
    {
      name: "hand",
      start: async () => {
        const port = await freePort();
        const dir = await mkdtemp(join(work, "hand-"));
        await writeFile(join(dir, "nginx.conf"), renderTemplate(template, { PORT: String(port) }));
        await writeFile(join(dir, "mime.types"), "");
        await rm(join(dir, "mime.types"));
        spawnSync("ln", ["-s", join(home, "conf/mime.types"), join(dir, "mime.types")]);
        const argv = [join(home, "sbin/nginx"), "-p", `${dir}/`, "-e", "stderr", "-c", join(dir, "nginx.conf")];
        return startProcess([...argv, "-g", "daemon off;"], { PORT: String(port) }, "file", join(dir, "out.log"));
      },
    },
    ...(["socket", "file"] as const).map((stdout) => ({
      name: stdout === "socket" ? "launcher" : "launcher-file",
      start: async () => {
        const port = await freePort();
        const tmp = await mkdtemp(join(work, "run-"));
        return startProcess([launcher], { PORT: String(port), TMPDIR: tmp }, stdout, join(tmp, "out.log"));
      },
    })),
  ];
  if (image) {
    out.push({
      name: "container",
      start: async () => {
        const port = await freePort();
        let bytes = 0;
        const app = await runApp({ image, port, onOutput: (l) => (bytes += l.length) });
        await app.ready(60_000);
        return {
          port,
          stop: async () => {
            await app.stop();
          },
        };
      },
    });
  }
  // CNBKIT_WEB_BENCH_ONLY=container,hand: those variants alone (to look at one with top or perf).
  const only = process.env.CNBKIT_WEB_BENCH_ONLY?.split(",");
  return only ? out.filter((v) => only.includes(v.name)) : out;
}

const work = await mkdtemp(join(tmpdir(), "cnbkit-web-bench-"));
try {
  // Run as root, nginx's workers drop to www-data, which must read the site.
  await chmod(work, 0o755);
  const home = await nginxHome(work);
  const root = await site(work);
  const template = nginxConf({ root, pushState: true, forceHttps: false });
  await writeFile(join(work, "start-nginx"), launcherScript({ template, nginxHome: home }), { mode: 0o755 });
  const image = process.env.CNBKIT_WEB_BENCH_CONTAINER === "1" ? await siteImage(root, work) : undefined;
  const all = variants(work, home, root, image);
  const rps: Record<string, Record<string, number[]>> = {};
  for (let round = 0; round <= ROUNDS; round++) {
    // Round 0 warms the page cache and the CPU governor, and is not counted.
    for (const v of round % 2 ? all : [...all].reverse()) {
      const server = await v.start();
      try {
        for (const [label, path] of Object.entries(PATHS)) {
          const x = await ab(server.port, path, round === 0 ? 2000 : REQUESTS);
          if (round === 0) continue;
          const byPath = rps[v.name] ?? {};
          rps[v.name] = byPath;
          byPath[label] = [...(byPath[label] ?? []), x];
        }
      } finally {
        await server.stop();
      }
    }
  }
  const rows: (string | number)[][] = [["variant", ...Object.keys(PATHS).flatMap((p) => [`${p} req/s`, "x hand"])]];
  for (const v of all) {
    rows.push([
      v.name,
      ...Object.keys(PATHS).flatMap((p) => {
        const m = median(rps[v.name]?.[p] ?? []);
        const floor = median(rps.hand?.[p] ?? []);
        return [Math.round(m), (m / floor).toFixed(2)];
      }),
    ]);
  }
  console.log(`web: ab -k -c 16 -n ${REQUESTS}, medians of ${ROUNDS} alternated rounds`);
  table(rows);
  for (const v of all)
    console.log(
      `  ${v.name}: ${Object.entries(rps[v.name] ?? {})
        .map(([p, xs]) => `${p} ${xs.map(Math.round).join(" ")}`)
        .join("; ")}`,
    );
  console.log(`peak RSS ${peakRssMb().toFixed(0)} MB`);
} finally {
  await rm(work, { recursive: true, force: true });
}
