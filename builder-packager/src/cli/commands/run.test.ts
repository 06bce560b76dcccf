/**
 * `cnbkit run` stopped by a signal, as a user or a script stops it: the bundled CLI as a
 * child process, real runc and cnbkit's run image, its own cache dir.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ensureBaseImages } from "../../base/index.js";
import { sleeperImages } from "../../platform/test-fixtures.js";

const ROOT = resolve(import.meta.dirname, "../../../..");
let work = "";
let cli = "";
let images: Record<string, string> = {};
let failing = "";

beforeAll(async () => {
  const { run } = await ensureBaseImages({ onProgress: () => {} });
  work = await mkdtemp(join(tmpdir(), "cnbkit-cli-run-"));
  images = await sleeperImages(run.ref, join(work, "images"), ["a"]);
  failing = (await sleeperImages(run.ref, join(work, "failing"), ["f"], 'echo "up f"; exit 3')).f as string;
  // Inside the repo, so the bundle finds its external packages in node_modules.
  // A directory of its own: the bundle is an entry and chunks/ beside it, removed together.
  const dir = join(ROOT, `node_modules/.cache/cnbkit-scripts/run-test-${process.pid}`);
  await mkdir(dir, { recursive: true });
  cli = join(dir, "cnbkit.mjs");
  const b = spawnSync(process.execPath, [join(ROOT, "scripts/build-cli.mjs"), cli], { encoding: "utf8" });
  if (b.status !== 0) throw new Error(`scripts/build-cli.mjs failed: ${b.stderr}`);
}, 600_000);
afterAll(async () => {
  if (cli) await rm(dirname(cli), { recursive: true, force: true });
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * Runs `cnbkit run <image>` with cache `cache` (and `args`) and sends `signal` at the first
 * line matching `at`, on stdout or (with `onStderr`) on stderr.
 */
function stoppedRun(
  cache: string,
  signal: NodeJS.Signals,
  at: RegExp,
  image = images.a as string,
  opts: { args?: string[]; onStderr?: boolean } = {},
) {
  const child = spawn(process.execPath, [cli, "run", image, "--port", "18999", ...(opts.args ?? [])], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CNBKIT_CACHE: cache, NO_COLOR: "1" },
  });
  let stderr = "";
  const lines: string[] = [];
  let sent = false;
  createInterface({ input: child.stdout }).on("line", (l) => {
    lines.push(l);
    if (!sent && at.test(l)) {
      sent = true;
      child.kill(signal);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    if (opts.onStderr && !sent && at.test(stderr)) {
      sent = true;
      child.kill(signal);
    }
  });
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[]; stderr: string }>((res) =>
    child.on("close", (code, sig) => res({ code, signal: sig, lines, stderr })),
  );
}

test.each([
  ["SIGTERM", "while its image is unpacked", /^Unpacking layer 1\//],
  ["SIGINT", "while its image is unpacked", /^Unpacking layer 1\//],
  ["SIGTERM", "once the app runs", /^up a$/],
  ["SIGINT", "once the app runs", /^up a$/],
] as const)(
  "%s %s: the run stops and exits 0",
  async (signal, _when, at) => {
    const cache = await mkdtemp(join(work, "cache-"));
    const r = await stoppedRun(cache, signal, at);
    // Before, a signal during the unpack found no handler: the CLI died of it (143, 130).
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 0, signal: null });
    expect(r.stderr.trim().split("\n").at(-1)).toBe("Stopped");
    const root = join(cache, "rootfs-by-digest");
    // Nothing half-unpacked stays, and the process left no in-use marker behind.
    expect((await readdir(root)).filter((n) => n.startsWith(".tmp-") || n.endsWith(".lock"))).toEqual([]);
    expect(await readdir(join(root, ".in-use")).catch(() => [])).toEqual([]);
  },
  120_000,
);

test("an app that exits by itself: the run says so and exits with its status", async () => {
  const cache = await mkdtemp(join(work, "cache-"));
  // Nothing is sent: the pattern never matches.
  const r = await stoppedRun(cache, "SIGTERM", /^never$/, failing);
  expect(r.lines).toContain("up f");
  expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 3, signal: null });
  expect(r.stderr.trim().split("\n").at(-1)).toBe("error: the app exited with status 3 (its output above says why)");
}, 300_000);

// Two outside apps (paketo's no_package_manager, digitalocean/sample-flask) bind 8080 whatever
// $PORT says: the run went on in silence while nothing answered on the port asked for.
test("an app that listens on nothing: a warning names the port and $PORT, and the app keeps running", async () => {
  const cache = await mkdtemp(join(work, "cache-"));
  const r = await stoppedRun(cache, "SIGTERM", /warning: nothing listens/, images.a as string, {
    args: ["--listen-timeout", "2s"],
    onStderr: true,
  });
  expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 0, signal: null });
  expect(r.stderr).toContain(
    "warning: nothing listens on port 18999 2 s after the start: the app must listen on $PORT (18999), which the image sets",
  );
  expect(r.lines).toContain("up a");
  expect(r.stderr.trim().split("\n").at(-1)).toBe("Stopped");
}, 300_000);

test("--listen-timeout that is not a duration is one line", () => {
  const r = spawnSync(process.execPath, [cli, "run", "oci:/nonexistent", "--listen-timeout", "soon"], {
    encoding: "utf8",
  });
  expect(r.status).not.toBe(0);
  expect(r.stderr.trim()).toMatch(/^error: --listen-timeout "soon" is not a duration/);
  expect(r.stderr).toContain("0 turns the warning off");
});
