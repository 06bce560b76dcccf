/**
 * `node bench/run.mjs bench/fixed-cost.ts`: the platform's fixed cost per warm rebuild (issue 76
 * item 1), the part of "the tool's incremental time + at most 2 s" that every app pays whatever
 * it builds. A node-hello rebuild after a one-line edit (in-process, as bench:build's edit rows)
 * is split into the time inside the lifecycle (its first phase header to its last line) and the
 * time around it, and the platform's own steps are timed one by one on the same builder:
 * - the builder resolved (its unpacked rootfs found, labels read);
 * - the per-build rootfs view (an overlay mount) opened and released;
 * - the isolated network (a namespace and pasta) opened and closed;
 * - the layer store's overlay opened, committed with no change, and discarded;
 * - runc running /bin/true in the view (container create, start, delete: runc's own floor);
 * - the workspace copy of node-hello and java-hello (and, with BENCH_FIXED_CADDY=1, Caddy's
 *   740 files) into a plain dir, into a mounted rootfs view, and into the view's upper dir
 *   before the mount (build-view.ts: creating files through overlayfs costs several times more);
 * - the CLI's start-up (`cnbkit --version` on the bundle) beside a bare `node -e 0`.
 * Medians of BENCH_RUNS (default 5) rounds, with the load average; nothing is asserted.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { openIsolatedNetwork, openRootfsView, runContainer } from "../builder-packager/src/container/index.js";
import { buildApp } from "../builder-packager/src/platform/index.js";
import { resolveBuilder } from "../builder-packager/src/platform/app-build/builder.js";
import { openLayerCache } from "../builder-packager/src/platform/app-build/layer-store/index.js";
import { copyWorkspace } from "../builder-packager/src/platform/app-build/workspace.js";
import { openBuildView } from "../builder-packager/src/platform/app-build/build-view.js";
import { fillWorkspace } from "../builder-packager/src/platform/app-build/inputs.js";
import { CADDY, outsideGoSource } from "./outside-go-app.js";
import { cnbkitCacheDir } from "../builder-packager/src/cache/index.js";
import { caBindings, fixtureApp, referenceBuilder, ROOT } from "../test/e2e/support.js";
import { median, peakRssMb, table } from "./stats.js";

const runs = Number(process.env.BENCH_RUNS || 5);
const work = await mkdtemp(join(tmpdir(), "cnbkit-bench-fixed-"));
/** The app's copy (fixtureApp makes it outside `work`); removed at the end with `work`. */
let app: string | undefined;
const say = (l: string) => process.stderr.write(`[bench] ${l}\n`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(", ");

/** Times `fn` `runs` times; ms each. */
async function times(fn: () => Promise<unknown>, n = runs): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const row = (name: string, xs: number[]) => [
  name,
  `${median(xs).toFixed(0)} ms`,
  xs.map((x) => x.toFixed(0)).join(" / "),
];

/** One edit rebuild: its wall time, and the lifecycle's span (first phase header to its last line). */
interface Rebuild {
  total: number;
  lifecycle: number;
  beforeLifecycle: number;
  afterLifecycle: number;
}

try {
  say(`load average at the start: ${load()}`);
  const builderRef = await referenceBuilder();
  const bindings = await caBindings();
  const appDir = await fixtureApp("bench-fixed", {}, join(ROOT, "examples/apps/node-hello"));
  app = appDir;
  const output = `oci:${join(work, "image")}:latest`;
  const cacheDir = join(work, "cache");
  let lastLifecycleLine = 0;
  let firstHeader = 0;
  let afterLines = false;
  const rebuild = async (n: number): Promise<Rebuild> => {
    if (n > 0)
      spawnSync("sed", [
        "-i",
        "-E",
        `s/Hello( \\(edit [0-9]+\\))? from/Hello (edit ${n}) from/`,
        join(appDir, "server.js"),
      ]);
    firstHeader = 0;
    afterLines = false;
    const t0 = performance.now();
    await buildApp({
      appDir,
      builder: builderRef,
      output,
      cacheDir,
      bindings,
      onOutput: (line) => {
        const now = performance.now();
        const plain = line.replace(/\u001b\[[0-9;]*m/g, "");
        // The platform's own lines after the lifecycle: the layer check and the write-out.
        if (/^(Checked \d+ new layers|Writing )/.test(plain)) afterLines = true;
        if (!firstHeader && /===> \w+/.test(plain)) firstHeader = now;
        if (firstHeader && !afterLines) lastLifecycleLine = now;
      },
    });
    const end = performance.now();
    return {
      total: end - t0,
      lifecycle: lastLifecycleLine - firstHeader,
      beforeLifecycle: firstHeader - t0,
      afterLifecycle: end - lastLifecycleLine,
    };
  };
  say("node-hello: cold build (untimed: it fills the cache the edits reuse)");
  await rebuild(0);
  const rebuilds: Rebuild[] = [];
  for (let n = 1; n <= runs; n++) rebuilds.push(await rebuild(n));
  console.log(`\nnode-hello rebuild after a one-line edit, in-process (load average now: ${load()})\n`);
  table([
    ["part", "median", "runs (ms)"],
    row(
      "whole rebuild",
      rebuilds.map((r) => r.total),
    ),
    row(
      "inside the lifecycle (first phase header to its last line)",
      rebuilds.map((r) => r.lifecycle),
    ),
    row(
      "outside it: the platform's fixed cost",
      rebuilds.map((r) => r.total - r.lifecycle),
    ),
    row(
      "  before (to the first phase header: set-up, runc start)",
      rebuilds.map((r) => r.beforeLifecycle),
    ),
    row(
      "  after (runc exit, checks, commit, write-out, clean-up)",
      rebuilds.map((r) => r.afterLifecycle),
    ),
  ]);

  const cache = cnbkitCacheDir();
  const rows: string[][] = [];
  rows.push(
    row(
      "resolve the builder (unpacked, labels)",
      await times(async () => (await resolveBuilder({ builder: builderRef }, cache, () => {})).release()),
    ),
  );
  const builder = await resolveBuilder({ builder: builderRef }, cache, () => {});
  try {
    const viewDir = join(work, "views");
    await mkdir(viewDir, { recursive: true });
    rows.push(
      row(
        "rootfs view: overlay mount + unmount and removal",
        await times(async () => (await openRootfsView(builder.rootfs, undefined, viewDir)).release()),
      ),
    );
    rows.push(
      row(
        "isolated network: namespace + pasta, opened and closed",
        await times(async () => (await openIsolatedNetwork({})).close()),
      ),
    );
    const store = join(work, "store-cache");
    await mkdir(store, { recursive: true });
    const owner = { uid: builder.uid, gid: builder.gid };
    rows.push(
      row(
        "layer store: overlay opened, committed with no change, discarded",
        await times(async () => {
          const lc = await openLayerCache({
            buildCacheDir: store,
            owner,
            cacheImage: false,
            env: {},
            say,
            debug: () => {},
          });
          await lc.commit();
          await lc.discard();
        }),
      ),
    );
    const view = await openRootfsView(builder.rootfs, undefined, viewDir);
    try {
      rows.push(
        row(
          "runc: /bin/true in the view (create, start, delete)",
          await times(() =>
            runContainer({
              rootfs: view.path,
              args: ["/bin/true"],
              env: ["PATH=/usr/bin:/bin"],
              user: owner,
              network: "none",
            }),
          ),
        ),
      );
    } finally {
      await view.release();
    }
    const apps: [string, string][] = [
      ["node-hello", join(ROOT, "examples/apps/node-hello")],
      ["java-hello", join(ROOT, "examples/apps/java-hello")],
    ];
    if (process.env.BENCH_FIXED_CADDY) apps.push(["Caddy (740 files)", await outsideGoSource(CADDY, say)]);
    for (const [name, src] of apps) {
      let i = 0;
      rows.push(
        row(
          `workspace copy: ${name}, plain dir`,
          await times(async () => copyWorkspace(src, join(work, `ws-${i++}`), { env: {} }, owner)),
        ),
      );
      // Where a build copies it: into the mounted view (the fallback), or into the view's
      // upper dir before the mount (build-view.ts), view and all.
      rows.push(
        row(
          `  into a mounted view (the view opened and released too)`,
          await times(async () => {
            const v = await openRootfsView(builder.rootfs, undefined, viewDir);
            try {
              await fillWorkspace(v.path, src, { env: {} }, owner);
            } finally {
              await v.release();
            }
          }),
        ),
      );
      rows.push(
        row(
          `  into the upper dir before the mount (build-view.ts)`,
          await times(async () => {
            const v = await openBuildView(
              builder.rootfs,
              viewDir,
              () => {},
              (root) => fillWorkspace(root, src, { env: {} }, owner),
            );
            await v.view.release();
          }),
        ),
      );
    }
  } finally {
    await builder.release();
  }
  const cli = join(ROOT, "builder-packager/dist/cnbkit.mjs");
  const node = (args: string[]) => async () => spawnSync(process.execPath, args, { stdio: "ignore" });
  rows.push(row("bare node -e 0", await times(node(["-e", "0"]))));
  if (existsSync(cli))
    rows.push(row("CLI start-up: cnbkit --version (the bundle)", await times(node([cli, "--version"]))));
  console.log(`\nThe platform's steps one by one (load average now: ${load()})\n`);
  table([["step", "median", "runs (ms)"], ...rows]);
  console.log(`\npeak RSS of the bench process: ${peakRssMb().toFixed(0)} MB`);
} finally {
  await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
}
