/**
 * `npm run bench:network`: what the isolated build network (container/network-namespace.ts:
 * a fresh namespace per container, outbound through pasta) costs against `--network host`,
 * in the same process, rounds interleaved so the disk's and the proxy's drift land on both:
 * - one container start and exit (`true` in a tiny rootfs): the namespace, pasta and the
 *   routes, median of 15;
 * - small GETs: one container runs curl for 30 small files of Maven Central, each on a new
 *   connection (as Maven fetches a pom), and the sum of curl's own times is taken (no container
 *   start in it), median of 5: what pasta adds per request, and the part of it from the TLS
 *   handshake's end to the response's first byte (where Debian 12's pasta waited ~40 ms);
 * - examples/apps/node-hello on the reference builder: a cold build (fresh build cache: npm
 *   downloads its dependency through the proxy) and a warm no-op rebuild;
 * - examples/apps/java-hello on the local Java builder: a cold build (Maven downloads the
 *   project's dependencies from Maven Central through the proxy).
 * Medians of BENCH_NETWORK_RUNS (default 3; each mode first every other round) and the ratio
 * isolated / host; peak RSS and the load average (1 min, at start and end: the machine is shared)
 * at the end, and which pasta ran (`command -v pasta`: scripts/fetch-passt.sh's or Debian 12's).
 * BENCH_NETWORK_ONLY=container,gets,node,java picks the sections.
 */
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { runContainer } from "../builder-packager/src/container/index.js";
import { buildApp } from "../builder-packager/src/platform/index.js";
import { hostUsrRootfs } from "../builder-packager/src/platform/test-fixtures.js";
import { javaBuilder } from "../test/e2e/java-builder.js";
import { caBindings, referenceBuilder, ROOT } from "../test/e2e/support.js";
import { median } from "./stats.js";

const RUNS = Number(process.env.BENCH_NETWORK_RUNS || 3);
const only = new Set((process.env.BENCH_NETWORK_ONLY || "container,gets,node,java").split(","));
const MODES = ["host", "isolated"] as const;
type Mode = (typeof MODES)[number];
const say = (l: string) => process.stderr.write(`[bench] ${l}\n`);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function row(name: string, ms: Record<Mode, number[]>): void {
  const h = median(ms.host);
  const i = median(ms.isolated);
  console.log(
    `${name}: host ${h.toFixed(0)} ms, isolated ${i.toFixed(0)} ms, ratio ${(i / h).toFixed(3)} (medians of ${ms.host.length})`,
  );
}

async function containerRow(): Promise<void> {
  const { rootfs, mounts } = await hostUsrRootfs();
  try {
    const ms: Record<Mode, number[]> = { host: [], isolated: [] };
    for (let r = 0; r < 15; r++) {
      for (const network of MODES) {
        ms[network].push(
          await timed(() =>
            runContainer({ rootfs, mounts, args: ["true"], env: {}, user: { uid: 1000, gid: 1000 }, network }),
          ),
        );
      }
    }
    row("one container (true)", ms);
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

/** Small files every Maven build of java-hello fetches (maven-metadata and poms). */
const SMALL_GETS = [
  "org/apache/maven/plugins/maven-clean-plugin/maven-metadata.xml",
  "org/apache/maven/plugins/maven-resources-plugin/maven-metadata.xml",
  "org/apache/maven/plugins/maven-compiler-plugin/maven-metadata.xml",
].map((p) => `https://repo.maven.apache.org/maven2/${p}`);

async function getsRow(): Promise<void> {
  const { rootfs, mounts } = await hostUsrRootfs();
  try {
    // curl needs the CA bundle (this machine's TLS proxy) and the resolver's address.
    const etc = ["ssl/certs", "resolv.conf"].map((e) => ({
      source: `/etc/${e}`,
      destination: `/etc/${e}`,
      readonly: true,
    }));
    const urls = Array.from({ length: 30 }, (_, i) => SMALL_GETS[i % SMALL_GETS.length]);
    const script = `for u in ${urls.join(" ")}; do curl -sSf -o /dev/null -w '%{time_appconnect} %{time_starttransfer} %{time_total}\n' "$u" || exit 1; done`;
    const ms: Record<Mode, number[]> = { host: [], isolated: [] };
    const wait: Record<Mode, number[]> = { host: [], isolated: [] };
    for (let r = 0; r < 5; r++) {
      for (const network of r % 2 ? [...MODES].reverse() : MODES) {
        let sum = 0;
        let waited = 0;
        const code = await runContainer({
          rootfs,
          mounts: [...mounts, ...etc],
          args: ["sh", "-c", script],
          env: { PATH: "/usr/bin:/bin" },
          user: { uid: 1000, gid: 1000 },
          network,
          onStdout: (l) => {
            const [tls = 0, first = 0, total = 0] = l.split(" ").map(Number);
            sum += total * 1000;
            waited += (first - tls) * 1000;
          },
        });
        if (code !== 0) throw new Error(`curl in the ${network} container exited ${code}`);
        ms[network].push(sum);
        wait[network].push(waited);
      }
    }
    row("30 small GETs (sum of curl's times)", ms);
    // The part pasta's Nagle delay lands on: from the TLS handshake's end to the first byte.
    row("30 small GETs, TLS done to first byte (sum)", wait);
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

/** Cold builds (and, when `warm`, a warm rebuild after each) of `appSrc` with each network, interleaved. */
async function buildRows(name: string, builder: string, appSrc: string, warm: boolean): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "cnbkit-bench-network-"));
  try {
    const app = join(work, "app");
    await cp(appSrc, app, { recursive: true });
    const bindings = await caBindings();
    const cold: Record<Mode, number[]> = { host: [], isolated: [] };
    const warmMs: Record<Mode, number[]> = { host: [], isolated: [] };
    for (let r = 0; r < RUNS; r++) {
      // Each mode goes first every other round: the second build of a round finds the proxy's
      // and the registry's caches warm.
      for (const network of r % 2 ? [...MODES].reverse() : MODES) {
        const cacheDir = join(work, `cache-${network}-${r}`);
        // A fresh output too: a cold build has no previous image to reuse layers from.
        const output = `oci:${join(work, `image-${network}-${r}`)}:latest`;
        const build = () =>
          buildApp({
            appDir: app,
            builder,
            output,
            cacheDir,
            bindings,
            network,
          });
        cold[network].push(await timed(build));
        if (warm) warmMs[network].push(await timed(build));
        await rm(cacheDir, { recursive: true, force: true });
        await rm(join(work, `image-${network}-${r}`), { recursive: true, force: true });
        const w = warm ? `, warm ${warmMs[network].at(-1)?.toFixed(0)} ms` : "";
        say(`${name} round ${r + 1} ${network}: cold ${cold[network].at(-1)?.toFixed(0)} ms${w}`);
      }
    }
    row(`${name} cold build`, cold);
    if (warm) row(`${name} warm rebuild`, warmMs);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const load1 = () => loadavg()[0] ?? 0;
const loadAtStart = load1();
if (only.has("container")) await containerRow();
if (only.has("gets")) await getsRow();
if (only.has("node"))
  await buildRows("node-hello", await referenceBuilder(), join(ROOT, "examples/apps/node-hello"), true);
if (only.has("java")) await buildRows("java-hello", await javaBuilder(), join(ROOT, "examples/apps/java-hello"), false);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
console.log(`load average ${loadAtStart.toFixed(1)} at start, ${load1().toFixed(1)} at end (2 cores)`);
console.log(`pasta: ${execFileSync("sh", ["-c", "command -v pasta"], { encoding: "utf8" }).trim()}`);
