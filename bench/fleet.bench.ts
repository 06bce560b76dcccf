/**
 * Fleets at an operations team's scale: a loopback docker-registry filled with app images made
 * from the main job's real builds (node-hello, python-hello and java-hello), across many
 * repositories and tags, on two run-image versions, some signed with provenance and SBOM
 * attestations, some marked by image extensions. Then, each through the bundled CLI (so peak
 * RSS is the command's own, from /usr/bin/time):
 * - `fleet scan` cold, and again on the unchanged fleet (the re-scan), at each size;
 * - `fleet rebase` of every image onto a patched run image (or the first BENCH_FLEET_REBASE
 *   of them), unsigned, and signed for a sample (the first BENCH_FLEET_SIGNED Node.js apps of
 *   those, default 330: what a 1,000-image fleet has; signing is bound by its attestations);
 * - the floor, in the same run: the manifest and config GETs alone (fleet-floor.mjs), before and
 *   after the cold scan (A B A) on a registry warmed by one untimed pass; the same GETs from a
 *   process of their own (a cold start, as the CLI's); and a loop of `skopeo inspect --config`
 *   over a sample of the images;
 * - where a cold scan's CPU goes: cnbkit's process and the registry's, per image (from
 *   /usr/bin/time and /proc), and the images/s their sum allows on this machine's cores.
 * The machine's load average is printed at the start and the end: figures from a shared
 * machine are read with it. BENCH_FLEET_BASELINE=<another cnbkit.mjs> runs each scan and the
 * unsigned rebase with that CLI too, on the same fleet, in the order A B B A (baseline, this,
 * this, baseline): a before and after from one machine state, each the mean of its two runs.
 * BENCH_FLEET_CLI=<cnbkit.mjs> measures another bundle instead of builder-packager/dist's, and
 * BENCH_FLEET_REQUESTS=1 prints each scan's registry requests per image by kind (fleet-requests.ts).
 * BENCH_FLEET_QUIET=<load>[,<seconds>] times nothing until the load average is below <load>.
 *
 * The registry is the distribution registry v3 (what `registry:3` runs, built from its Go module
 * by scripts/fetch-distribution.sh), or Debian's docker-registry 2.8.2 with
 * BENCH_FLEET_REGISTRY=debian. On 2 cores the registry shares the CPU with cnbkit, and 2.8 spends
 * most of its own on rebuilding its route table for every request (a pprof profile: 69% in
 * gorilla/mux compiling regexps), so a scan against it measures that registry more than cnbkit.
 *
 * Usage: npm run bench:fleet [-- 1000,10000]   (sizes, else BENCH_FLEET_SIZES, else 1000,10000;
 * needs `npm run main` first). A 10,000-image fleet takes a few minutes to make.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { Agent as HttpAgent } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { FleetInventory } from "../builder-packager/src/fleet/index.js";
import { makeFleet } from "../builder-packager/src/fleet/test-fleet.js";
import { openImageSource } from "../builder-packager/src/oci/index.js";
import { mapLimit } from "../builder-packager/src/oci/registry.js";
import { startRegistry, type TestRegistry } from "../builder-packager/src/oci/test-registry.js";
import { loadSigningKey } from "../builder-packager/src/supply-chain/index.js";
import { type FloorImage, MANIFEST_ACCEPT, registryGet, twoGetsEach } from "./fleet-floor.mjs";
import { RequestTally } from "./fleet-requests.js";
import { table } from "./stats.js";

const ROOT = join(import.meta.dirname, "..");
/** BENCH_FLEET_CLI=<cnbkit.mjs>: another bundle of the CLI to measure (`node scripts/build-cli.mjs <file>`). */
const CLI = process.env.BENCH_FLEET_CLI ?? join(ROOT, "builder-packager/dist/cnbkit.mjs");
const sizes = (process.argv[3] ?? process.env.BENCH_FLEET_SIZES ?? "1000,10000").split(",").map(Number);
const signedSample = Number(process.env.BENCH_FLEET_SIGNED ?? 330);
const BASELINE = process.env.BENCH_FLEET_BASELINE;
/** BENCH_FLEET_PROFILE=<dir>: each CLI run writes a V8 CPU profile there (for `--cpu-prof` reading). */
const PROFILE = process.env.BENCH_FLEET_PROFILE;
/**
 * BENCH_FLEET_REQUESTS=1: the registry's access log is on and each scan prints its requests per
 * image by kind (the log costs the registry CPU: that run's rates are not the ones to quote).
 */
const tally = process.env.BENCH_FLEET_REQUESTS ? new RequestTally() : undefined;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const APPS = ["app", "python-app", "java-app"].map((n) => `oci:${join(ROOT, ".cnbkit/images", n)}:latest`);
for (const a of APPS) {
  if (!existsSync(a.slice(4, a.lastIndexOf(":")))) throw new Error(`${a} is missing: run \`npm run main\` first`);
}
if (!existsSync(CLI)) throw new Error("the CLI is not built: run `npm run setup` first");

/** A process's user + system CPU seconds so far, from /proc (clock ticks are 100 a second on Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Runs the CLI under /usr/bin/time; returns its wall time, peak RSS, its own CPU seconds, the
 * registry's CPU seconds over the same time, and its output.
 */
async function cli(args: string[], env: Record<string, string> = {}, bin = CLI) {
  const registryCpu0 = cpuSeconds(registry.pid);
  const requests0 = tally?.snapshot();
  return new Promise<{
    seconds: number;
    rssMb: number;
    cpu: number;
    registryCpu: number;
    stdout: string;
    stderr: string;
    code: number;
    /** The registry's requests by kind per image (BENCH_FLEET_REQUESTS), else "". */
    requests: (images: number) => string;
  }>((res) => {
    const t0 = performance.now();
    const node = [process.execPath, ...(PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`] : [])];
    const child = spawn("/usr/bin/time", ["-f", "MAXRSS %M CPU %U %S", ...node, bin, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) => {
      const m = /MAXRSS (\d+) CPU ([\d.]+) ([\d.]+)/.exec(stderr);
      const requests1 = tally?.snapshot();
      res({
        seconds: (performance.now() - t0) / 1000,
        rssMb: Number(m?.[1] ?? 0) / 1024,
        cpu: Number(m?.[2] ?? 0) + Number(m?.[3] ?? 0),
        registryCpu: cpuSeconds(registry.pid) - registryCpu0,
        stdout,
        stderr,
        code: code ?? 1,
        requests: (images) =>
          requests0 && requests1 ? `registry requests: ${RequestTally.between(requests0, requests1, images)}` : "",
      });
    });
  });
}

/**
 * The floor's records of `refs` (`host/repo:tag`), each read from its manifest: for a floor
 * before the scan, whose inventory does not exist yet. Untimed; it warms the manifests too.
 */
async function floorRecords(registry: TestRegistry, refs: string[]): Promise<FloorImage[]> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 32 });
  const records: FloorImage[] = [];
  await mapLimit(refs, 16, async (ref) => {
    const at = ref.lastIndexOf(":");
    const repository = ref.slice(0, at);
    const repo = repository.slice(repository.indexOf("/") + 1);
    const body = await registryGet(registry.port, agent, `/v2/${repo}/manifests/${ref.slice(at + 1)}`, {
      accept: MANIFEST_ACCEPT,
      text: true,
    });
    const config = (JSON.parse(body) as { config?: { digest?: string } }).config?.digest;
    if (config) records.push({ repository, tags: [ref.slice(at + 1)], digest: "", config });
  });
  agent.destroy();
  return records;
}

/**
 * The floor in this (warm) process: each image's manifest and config, 16 at once on one
 * keep-alive pool, and nothing else (fleet-floor.mjs): the rate the registry allows any client
 * on this machine, with this run's CPU per image (client and registry).
 */
async function twoRequestsEach(
  registry: TestRegistry,
  records: FloorImage[],
): Promise<{ rate: number; registryMs: number; clientMs: number }> {
  const cpu0 = cpuSeconds(registry.pid);
  const client0 = process.cpuUsage();
  const seconds = await twoGetsEach(registry.port, records);
  const client = process.cpuUsage(client0);
  return {
    rate: records.length / seconds,
    registryMs: ((cpuSeconds(registry.pid) - cpu0) / records.length) * 1000,
    // µs of this process's CPU over the loop, per image, in ms
    clientMs: (client.user + client.system) / 1000 / records.length,
  };
}

/**
 * The same two GETs an image from a process of their own (fleet-floor.mjs), started as the CLI
 * is: the floor's rate with a cold start, its CPU per image (from /usr/bin/time) and the registry's.
 */
async function twoRequestsEachCold(
  registry: TestRegistry,
  records: FloorImage[],
): Promise<{ rate: number; registryMs: number; clientMs: number }> {
  const file = join(work, "floor-records.json");
  await writeFile(file, JSON.stringify(records));
  const cpu0 = cpuSeconds(registry.pid);
  const t0 = performance.now();
  const { stderr } = await promisify(execFile)("/usr/bin/time", [
    "-f",
    "CPU %U %S",
    process.execPath,
    join(ROOT, "bench/fleet-floor.mjs"),
    String(registry.port),
    file,
  ]);
  const seconds = (performance.now() - t0) / 1000;
  const m = /CPU ([\d.]+) ([\d.]+)/.exec(stderr);
  await rm(file, { force: true });
  return {
    rate: records.length / seconds,
    registryMs: ((cpuSeconds(registry.pid) - cpu0) / records.length) * 1000,
    clientMs: ((Number(m?.[1] ?? 0) + Number(m?.[2] ?? 0)) / records.length) * 1000,
  };
}

/**
 * With BENCH_FLEET_QUIET=<load>[,<seconds>], waits (up to that many seconds, else 30 minutes)
 * until the 1-minute load average is below <load> before anything is timed: on a shared machine
 * the fleet is made while others work, and timed once they are done. The wait and the load are
 * printed.
 */
async function quietEnough(): Promise<void> {
  const [below, most] = (process.env.BENCH_FLEET_QUIET ?? "").split(",").map(Number);
  if (!below) return;
  const t0 = performance.now();
  while (loadavg()[0]! >= below && performance.now() - t0 < (most || 1800) * 1000) {
    await new Promise((r) => setTimeout(r, 5000));
  }
  console.log(`waited ${((performance.now() - t0) / 1000).toFixed(0)} s for a load average below ${below}: ${load()}`);
}

type CliRun = Awaited<ReturnType<typeof cli>>;

/**
 * The baseline's scans beside this CLI's, each the mean of its two runs (A B B A), and both runs
 * shown: the cold scan's rate and CPU per image (cnbkit / registry), the re-scan's time, peak RSS.
 */
function beforeAfter(
  rows: (string | number)[][],
  images: number,
  before: { c: CliRun; a: CliRun }[],
  after: { c: CliRun; a: CliRun }[],
): void {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const each = (runs: { c: CliRun; a: CliRun }[], f: (r: { c: CliRun; a: CliRun }) => number, digits: number) =>
    `${mean(runs.map(f)).toFixed(digits)} (${runs.map((r) => f(r).toFixed(digits)).join(", ")})`;
  const side = (runs: { c: CliRun; a: CliRun }[]) => ({
    rate: each(runs, (r) => images / r.c.seconds, 0),
    cpu: `${each(runs, (r) => (r.c.cpu / images) * 1000, 2)} / ${each(runs, (r) => (r.c.registryCpu / images) * 1000, 2)}`,
    again: `${each(runs, (r) => r.a.seconds, 2)}, CPU ${each(runs, (r) => (r.a.cpu / images) * 1000, 3)} ms per image`,
    rss: `${Math.max(...runs.map((r) => r.c.rssMb)).toFixed(0)} / ${Math.max(...runs.map((r) => r.a.rssMb)).toFixed(0)}`,
  });
  const [b, a] = [side(before), side(after)];
  rows.push(["before → after, A B B A: scan (cold) images/s", images, `${b.rate} → ${a.rate}`, ""]);
  rows.push(["before → after: scan CPU ms per image, cnbkit / registry", images, `${b.cpu} → ${a.cpu}`, ""]);
  rows.push(["before → after: re-scan s, cnbkit CPU", images, `${b.again} → ${a.again}`, ""]);
  rows.push(["before → after: peak RSS MB, scan / re-scan", images, `${b.rss} → ${a.rss}`, ""]);
}

const work = await mkdtemp(join(tmpdir(), "cnbkit-bench-fleet-"));
const debian = process.env.BENCH_FLEET_REGISTRY === "debian";
const registry = await startRegistry({
  ...(debian
    ? {}
    : { binary: execFileSync("bash", [join(ROOT, "scripts/fetch-distribution.sh")], { encoding: "utf8" }).trim() }),
  ...(tally ? { onAccessLog: (line: string) => tally.add(line) } : {}),
});
const rows: (string | number)[][] = [["measure", "size", "value", "goal"]];
console.log(
  `registry: ${debian ? "Debian's docker-registry 2.8.2" : `distribution v${process.env.CNBKIT_DISTRIBUTION_VERSION ?? "3.0.0"}`}; load average at the start: ${load()}`,
);
const scanRates: [number, number][] = [];
try {
  // An ECDSA P-256 pair in PEM, which cnbkit and cosign both take.
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const keys = { key: join(work, "bench.key"), pub: join(work, "bench.pub") };
  await writeFile(keys.key, pair.privateKey.export({ type: "pkcs8", format: "pem" }));
  await writeFile(keys.pub, pair.publicKey.export({ type: "spki", format: "pem" }));
  const key = await loadSigningKey(keys.key);
  const runImage = JSON.parse(
    (await (await openImageSource(APPS[0]!)).config()).config?.Labels?.["io.buildpacks.lifecycle.metadata"] ?? "{}",
  ).runImage?.image as string;
  let made = 0;
  /** Every image pushed so far (each size adds to the fleet before it): the floor's before the scan. */
  const seeded: string[] = [];
  let fleetRun = "";
  let patch: () => Promise<unknown> = async () => {};
  for (const [i, size] of sizes.entries()) {
    const t0 = performance.now();
    const fleet = await makeFleet({
      registry: registry.host,
      prefix: `f${i}/`,
      apps: APPS,
      runImage,
      repositories: Math.ceil((size - made) / 10),
      tagsPerRepository: 10,
      sign: { key, every: 50 },
      extendedEvery: 25,
      others: 5,
    });
    made += fleet.images.length;
    // The rebase runs over the largest fleet made (the last), which shares one run image.
    fleetRun = fleet.runRepository;
    patch = fleet.patchAgain;
    console.log(
      `made ${fleet.images.length} images (${made} in all) in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    await quietEnough();
    const inv = join(work, `fleet-${size}.json`);
    const scanArgs = (out: string) => ["fleet", "scan", registry.host, "--key", keys.pub, "-o", out];
    const baseInv = join(work, `baseline-${size}.json`);
    // The baseline's first pair (cold, re-scan) runs before this CLI's, its second after:
    // A B B A, so whatever drifts during the run (the load, the registry's caches) falls on both.
    const baselinePair = async () => {
      const c = await cli(scanArgs(baseInv), {}, BASELINE);
      const a = await cli(scanArgs(baseInv), {}, BASELINE);
      await rm(baseInv, { force: true });
      return { c, a };
    };
    // The registry has just taken every push: its blob descriptor cache is empty and its heap
    // full of the uploads. Whichever pass came first paid that (the cold scan did, and the
    // floor after it ran 20-30% cheaper on the registry), so one untimed pass of the floor's
    // requests warms it, as a registry that has served its fleet before is. Then the floor is
    // measured before and after the scan (A B A) and the scan set against their mean.
    seeded.push(...fleet.images.map((image) => image.ref));
    const warm = await floorRecords(registry, seeded);
    await twoRequestsEach(registry, warm);
    const floorBefore = await twoRequestsEach(registry, warm);
    const baseRuns = BASELINE ? [await baselinePair()] : [];
    const cold = await cli(["fleet", "scan", registry.host, "--key", keys.pub, "-o", inv]);
    if (cold.code !== 0) throw new Error(`scan failed: ${cold.stderr}`);
    const inventory = JSON.parse(await readFile(inv, "utf8")) as FleetInventory;
    const images = inventory.images.length + inventory.others.length;
    const perImage = Number(/([\d.]+) (B|KiB|MiB) per image beyond SBOMs/.exec(cold.stdout)?.[1] ?? Number.NaN);
    const unit = /[\d.]+ (B|KiB|MiB) per image beyond SBOMs/.exec(cold.stdout)?.[1];
    console.log(cold.stdout);
    if (tally) console.log(cold.requests(images));
    scanRates.push([images, images / cold.seconds]);
    rows.push([
      "scan (cold)",
      images,
      `${(images / cold.seconds).toFixed(0)} images/s (${cold.seconds.toFixed(1)} s)`,
      "≥ 200/s",
    ]);
    rows.push(["read per image beyond SBOMs", images, `${perImage} ${unit}`, "≤ 64 KB"]);
    rows.push(["scan peak RSS", images, `${cold.rssMb.toFixed(0)} MB`, "≤ 300 MB"]);
    // Where a cold scan's CPU goes on this machine: cnbkit's process, and the registry answering
    // it. Their sum bounds the scan at (cores / CPU per image) whatever the client does.
    const msPerImage = (cpu: number) => (cpu / images) * 1000;
    const ceiling = (availableParallelism() / (cold.cpu + cold.registryCpu)) * images;
    rows.push([
      "scan CPU per image: cnbkit / registry",
      images,
      `${msPerImage(cold.cpu).toFixed(2)} ms / ${msPerImage(cold.registryCpu).toFixed(2)} ms (both: at most ${ceiling.toFixed(0)} images/s on ${availableParallelism()} cores)`,
      "",
    ]);
    // The other floor: what the registry serves of the two requests an image needs (its
    // manifest by tag, and its config), asked by a client that does nothing else. No scan
    // can beat it, and no client can be more than that many times the skopeo loop.
    const bare = await twoRequestsEach(registry, inventory.images);
    for (const [when, floor] of [
      ["before", floorBefore],
      ["after", bare],
    ] as const) {
      rows.push([
        `floor: manifest + config GETs alone (node:http, 16 at once), ${when} the scan`,
        inventory.images.length,
        `${floor.rate.toFixed(0)} images/s, CPU per image: client ${floor.clientMs.toFixed(2)} ms / registry ${floor.registryMs.toFixed(2)} ms`,
        "",
      ]);
    }
    const floorRate = (floorBefore.rate + bare.rate) / 2;
    rows.push([
      "scan / that floor (the mean of before and after)",
      images,
      `${((images / cold.seconds / floorRate) * 100).toFixed(0)}%`,
      "≥ 75%",
    ]);
    // The same floor started as the CLI is: a process of its own, whose Node start and cold JIT
    // the warm floor above never pays. At 1,000 images that is a share of the run; read the
    // scan against both.
    const coldFloor = await twoRequestsEachCold(registry, inventory.images);
    rows.push([
      "floor as a process of its own (node fleet-floor.mjs, a cold start), after the scan",
      inventory.images.length,
      `${coldFloor.rate.toFixed(0)} images/s (${((coldFloor.rate / floorRate) * 100).toFixed(0)}% of the warm floor), CPU per image: client ${coldFloor.clientMs.toFixed(2)} ms / registry ${coldFloor.registryMs.toFixed(2)} ms`,
      "",
    ]);
    rows.push([
      "scan / the cold-start floor",
      images,
      `${((images / cold.seconds / coldFloor.rate) * 100).toFixed(0)}%`,
      "",
    ]);
    const again = await cli(["fleet", "scan", registry.host, "--key", keys.pub, "-o", inv]);
    console.log(again.stdout);
    if (tally) console.log(again.requests(images));
    rows.push(["re-scan (unchanged)", images, `${again.seconds.toFixed(1)} s`, "≤ 30 s at 10,000"]);
    rows.push(["re-scan peak RSS", images, `${again.rssMb.toFixed(0)} MB`, "≤ 300 MB"]);
    if (BASELINE) {
      await rm(inv, { force: true });
      const cold2 = await cli(scanArgs(inv));
      // the floor again, right after this CLI's second cold scan: each cold scan beside the
      // floor measured next to it, since the load moves both
      const bare2 = await twoRequestsEach(registry, inventory.images);
      rows.push([
        "second cold scan / the floor after it",
        images,
        `${(images / cold2.seconds).toFixed(0)} / ${bare2.rate.toFixed(0)} images/s = ${((images / cold2.seconds / bare2.rate) * 100).toFixed(0)}%`,
        "",
      ]);
      const again2 = await cli(scanArgs(inv));
      baseRuns.push(await baselinePair());
      beforeAfter(rows, images, baseRuns, [
        { c: cold, a: again },
        { c: cold2, a: again2 },
      ]);
    }
  }
  // The floor: skopeo inspect --config, one process per image, as a shell loop would.
  const inventory = JSON.parse(await readFile(join(work, `fleet-${sizes.at(-1)}.json`), "utf8")) as FleetInventory;
  const sample = inventory.images.slice(0, 100);
  const t0 = performance.now();
  for (const r of sample) {
    await promisify(execFile)("skopeo", [
      "inspect",
      "--config",
      "--tls-verify=false",
      `docker://${r.repository}@${r.digest}`,
    ]);
  }
  const skopeoRate = sample.length / ((performance.now() - t0) / 1000);
  rows.push(["floor: skopeo inspect --config loop", sample.length, `${skopeoRate.toFixed(1)} images/s`, ""]);
  for (const [images, rate] of scanRates) {
    rows.push(["scan / skopeo loop", images, `${(rate / skopeoRate).toFixed(1)}×`, "≥ 20×"]);
  }
  // Rebase onto a patched run image: every image on it (or the first BENCH_FLEET_REBASE of
  // them), unsigned; then, signed, the first Node.js apps of those.
  const onRun = (r: FleetInventory["images"][number]) =>
    (r.runImage.image ?? r.runImage.reference ?? "").startsWith(fleetRun) && r.rebasable.ok;
  const sampled = async (
    from: string,
    to: string,
    keep: (r: FleetInventory["images"][number]) => boolean,
    n: number,
  ) => {
    const inventory = JSON.parse(await readFile(from, "utf8")) as FleetInventory;
    await writeFile(to, JSON.stringify({ ...inventory, images: inventory.images.filter(keep).slice(0, n) }));
    return to;
  };
  const all = join(work, `fleet-${sizes.at(-1)}.json`);
  const rebaseFile = process.env.BENCH_FLEET_REBASE
    ? await sampled(all, join(work, "rebase-sample.json"), onRun, Number(process.env.BENCH_FLEET_REBASE))
    : all;
  const rebaseAll = async (extra: string[], inventoryFile: string, bin = CLI) => {
    await patch();
    const r = await cli(
      [
        "fleet",
        "rebase",
        "-i",
        inventoryFile,
        "--key",
        keys.pub,
        "--run-image",
        `${fleetRun}:latest`,
        "--concurrency",
        "16",
        ...extra,
      ],
      {},
      bin,
    );
    console.log(
      r.stdout
        .split("\n")
        .filter((l) => !l.startsWith("  cannot"))
        .join("\n"),
      r.code ? r.stderr.slice(-2000) : "",
    );
    const rate = /Rebased (\d+) tags in ([\d.]+)s \(([\d.]+)\/s\)/.exec(r.stdout);
    return {
      count: rate?.[1] ?? "?",
      rate: Number(rate?.[3] ?? Number.NaN),
      value: `${rate?.[3]}/s (${rate?.[2]} s), peak RSS ${r.rssMb.toFixed(0)} MB`,
    };
  };
  // With a baseline, A B B A as the scans: each rebase moves the sample onto a run image with
  // one more patch layer than the last, so the order would otherwise favour whoever goes first.
  const baseRebases = BASELINE ? [await rebaseAll([], rebaseFile, BASELINE)] : [];
  const unsigned = await rebaseAll([], rebaseFile);
  rows.push(["rebase (unsigned)", unsigned.count, unsigned.value, "≥ 50/s"]);
  if (BASELINE) {
    const again = await rebaseAll([], rebaseFile);
    baseRebases.push(await rebaseAll([], rebaseFile, BASELINE));
    const rates = (rs: { rate: number }[]) =>
      `${(rs.reduce((a, r) => a + r.rate, 0) / rs.length).toFixed(1)}/s (${rs.map((r) => r.rate.toFixed(1)).join(", ")})`;
    rows.push([
      "before → after, A B B A: rebase (unsigned)",
      unsigned.count,
      `${rates(baseRebases)} → ${rates([unsigned, again])}`,
      "",
    ]);
  }
  // The signed sample, in an inventory of its own (brought up to date by the unsigned rebase).
  const nodeApps = (r: FleetInventory["images"][number]) =>
    onRun(r) && r.buildpacks.some((b) => b.id === "cnbkit/nodejs");
  const sampleFile = await sampled(rebaseFile, join(work, "signed-sample.json"), nodeApps, signedSample);
  const signed = await rebaseAll(["--buildpack", "cnbkit/nodejs", "--sign-key", keys.key], sampleFile);
  rows.push(["rebase (signed, node apps)", signed.count, signed.value, ""]);
  table(rows);
  console.log(`load average at the end: ${load()}`);
} finally {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
}
