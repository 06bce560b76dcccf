/**
 * `npm run bench:go`: what a Go app's build costs with the reference builder (local variant,
 * cnbkit/go with Go 1.27.4 from the module proxy) against `go build` run by hand on this
 * machine in the same run, for examples/apps/go-hello (gin, 88 go.sum lines):
 * - cold build: fresh build cache, no previous image;
 * - warm no-op rebuild: same app, cache and previous image (the binary is reused: no go
 *   command runs, the toolchain is not installed);
 * - rebuild after a one-line edit of main.go (the everyday rebuild);
 * - hand floor, cold: the same toolchain zip unpacked with `unzip`, `go mod download` into an
 *   empty module cache, `go build` with an empty build cache and the buildpack's flags, and
 *   the binary packed with `tar czf` (the launch layer): what any cold build must do;
 * - hand floor, edit: `go build` after the same edit, its build cache warm;
 * - the image's size on the standard run image and on the tiny one (no shell, no libc
 *   packages beyond what a static binary never needs).
 * - with BENCH_GO_MULTI=1 (or =only, for these rows alone), a cold two-platform build (linux/amd64 + linux/arm64 into one
 *   index) against a cold native build with the same builder, in alternating rounds: the
 *   amd64 build cross-compiles the arm64 binary and the arm64 build (under qemu) restores it.
 *   Its builder is the local reference builder for both arches on the slim base images (Go
 *   builds need no C toolchain), made once and cached under .cnbkit/e2e/multi-arch-slim.
 * - rebuild after a one-line edit with the cache layers through the lifecycle's cache
 *   (CNBKIT_LAYER_CACHE=off) and by reference, interleaved, beside `go build` after the same
 *   edit on the host with warm caches (bench/edit-rebuild.ts), for go-hello and for Caddy
 *   (bench/outside-go-app.ts: ~1 GB of module and build caches, the issue 76 case of a Go app
 *   with >= 300 MB of caches). BENCH_GO_EDIT=only runs these rows alone, =0 leaves them out.
 * Goals (issue 70): cold ≤ 1.3x the hand floor; edit rebuild ≤ the hand edit + 2 s; two
 * platforms ≤ 1.2x one native build. Issue 76: the edit rebuild ≤ the hand edit + 2 s whatever
 * the caches hold.
 * Medians of BENCH_RUNS (default 3). Peak RSS is this process's (the platform code); the
 * lifecycle runs in runc.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, statfs, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBaseImages } from "../builder-packager/src/base/images.js";
import { ensureMultiArchBaseImages } from "../builder-packager/src/base/index.js";
import { createBuilder } from "../builder-packager/src/builder/index.js";
import { cnbkitCacheDir } from "../builder-packager/src/cache/index.js";
import { type Binding, buildApp, buildPlatforms } from "../builder-packager/src/platform/index.js";
import { prepareMultiArchReferenceBuilder } from "../tools/local-builder/multi-arch.js";
import { localGoToolchains } from "../tools/local-builder/local-go.js";
import { flagsKey, goBuildFlags } from "../buildpacks/go/src/build-flags.js";
import { caBindings, E2E_DIR, fixtureApp, getFromImage, referenceBuilder, ROOT } from "../test/e2e/support.js";
import { benchEditRebuilds, type EditCase, type EditTool, editGreeting } from "./edit-rebuild.js";
import { imageLayerSizes } from "./image-size.js";
import { CADDY, outsideGoSource } from "./outside-go-app.js";
import { median, peakRssMb, table } from "./stats.js";

const RUNS = Number(process.env.BENCH_RUNS || 3);
const say = (l: string) => process.stderr.write(`[bench] ${l}\n`);
const work = await mkdtemp(join(tmpdir(), "cnbkit-bench-go-"));
/** The buildpack's own `go build` flags for an app that is not vendored (build-flags.ts), so the hand rows run its command. */
const FLAGS = goBuildFlags({ vendored: false });

/** The buildpack's go line in an edit rebuild's output: "Built go-hello in 1.2s". */
const GO_BUILD_LINE = /^\s*Built .* in ((?:\d+m\s*)?\d+(?:\.\d+)?(?:ms|s))\s*$/;
/** The app copies this run made (fixtureApp's temp dirs), removed at the end. */
const apps: string[] = [];

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Runs a command on the host; throws with its output when it fails. */
function sh(command: string[], cwd: string, env: Record<string, string> = {}): void {
  const r = spawnSync(command[0]!, command.slice(1), { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${command.join(" ")} failed: ${r.stderr}${r.stdout}`);
}

/** Edits main.go's greeting to a new one, as a developer's one-line change. */
async function edit(app: string, n: number): Promise<void> {
  const file = join(app, "main.go");
  const text = await readFile(file, "utf8");
  await writeFile(
    file,
    text.replace(/Hello from Go and gin on cnbkit!( \(edit \d+\))?/, `Hello from Go and gin on cnbkit! (edit ${n})`),
  );
}

/** The free disk Caddy's edit rows need (GB). */
const CADDY_DISK_GB = 8;

/** The Go toolchain of the hand rows, as the builder carries it. */
const HAND_GO = "1.27.4";

/**
 * The hand `go build` of the edit rows: the builder's toolchain zip unpacked, `target` of
 * `app` built once untimed (its GOMODCACHE and GOCACHE filled), then timed after each edit.
 * It is the buildpack's command (compile.ts): its flags, `-o <dir>/` (go names the binary),
 * CGO_ENABLED=0 (the buildpack's decision for both apps: no package of theirs uses cgo),
 * GOFLAGS=-modcacherw and GOTOOLCHAIN=local, with the same toolchain less src/cmd.
 * Both caches are kept under ~/.cache/cnbkit/outside-go/hand (GOCACHE per toolchain), so
 * Caddy's cold compile (~10 min on 2 busy cores) is paid once, not by every run; what is
 * timed is the same either way, a build with warm caches.
 */
async function goEditTool(app: string, target: string): Promise<EditTool> {
  const [zip] = await localGoToolchains("amd64", [HAND_GO], say);
  const hand = await mkdtemp(join(work, "hand-edit-"));
  const caches = join(cnbkitCacheDir(), "outside-go", "hand");
  const env = {
    GOMODCACHE: join(caches, "mod"),
    GOCACHE: join(caches, `gocache-${HAND_GO}`),
    GOFLAGS: "-modcacherw",
    GOTOOLCHAIN: "local",
    CGO_ENABLED: "0",
  };
  const go = join(hand, "go", "golang.org", `toolchain@v0.0.1-go${HAND_GO}.linux-amd64`, "bin", "go");
  sh(["unzip", "-q", zip!.file, "-d", join(hand, "go"), "-x", "*/src/cmd/*"], hand);
  const command = ["build", ...FLAGS, "-o", `${join(hand, "bin")}/`, target];
  const build = () => sh([go, ...command], app, env);
  build();
  const du = spawnSync("du", ["-sh", env.GOMODCACHE, env.GOCACHE], { encoding: "utf8" }).stdout.trim();
  say(`hand caches after a first go build: ${du.replace(/\s+/g, " ")}`);
  return {
    note: `go ${HAND_GO} build ${flagsKey(FLAGS)} -o <dir>/ ${target}, CGO_ENABLED=0 GOFLAGS=-modcacherw, warm GOMODCACHE and GOCACHE: the buildpack's command`,
    run: () => timed(build),
    done: () => rm(hand, { recursive: true, force: true }),
  };
}

/** Caddy's one-line edit: a package-level string in main.go, so the main package recompiles and the binary relinks. */
async function editCaddy(app: string, n: number): Promise<void> {
  const file = join(app, CADDY.editFile);
  const text = (await readFile(file, "utf8")).replace(/\nvar benchEdit = .*\n$/, "");
  await writeFile(file, `${text}\nvar benchEdit = "edit ${n}"\n`);
}

/**
 * The two-platform rows: a cold native build and a cold amd64+arm64 build of go-hello with the
 * multi-arch local builder on slim base images, alternating, medians with the ratio.
 */
async function twoPlatforms(copy: () => Promise<string>, bindings: Binding[]): Promise<void> {
  const dir = join(E2E_DIR, "multi-arch-slim");
  const base = join(dir, "base");
  await ensureMultiArchBaseImages({ arches: ["amd64", "arm64"], flavor: "slim", output: base, onProgress: say });
  const multi = await prepareMultiArchReferenceBuilder({
    outDir: join(dir, "src"),
    baseLayout: base,
    java: false,
    onProgress: say,
  });
  const builder = `oci:${join(dir, "builder")}:latest`;
  const stamp = join(dir, "builder.inputs");
  if ((await readFile(stamp, "utf8").catch(() => "")) !== multi.inputsDigest) {
    await createBuilder({
      config: multi.builderToml,
      output: builder,
      targets: ["linux/amd64", "linux/arm64"],
      onProgress: say,
    });
    await writeFile(stamp, multi.inputsDigest);
  }
  const amd64 = { os: "linux", architecture: "amd64" };
  const arm64 = { os: "linux", architecture: "arm64" };
  const native: number[] = [];
  const both: number[] = [];
  let n = 0;
  const fresh = () => {
    n++;
    return { output: `oci:${join(work, `multi-${n}`)}:latest`, cacheDir: join(work, `multi-cache-${n}`) };
  };
  let index = "";
  for (let round = 1; round <= RUNS; round++) {
    say(`two platforms, round ${round} of ${RUNS} (load average ${loadavg()[0]!.toFixed(1)})`);
    const app = await copy();
    native.push(
      await timed(() => buildApp({ appDir: app, builder, bindings, platform: amd64, ...fresh(), onOutput: () => {} })),
    );
    const o = fresh();
    index = o.output;
    both.push(
      await timed(() => buildPlatforms({ appDir: app, builder, bindings, ...o, onOutput: () => {} }, [amd64, arm64])),
    );
  }
  const s = (x: number) => `${(x / 1000).toFixed(1)} s`;
  table([
    ["go-hello, cold", "median", "x native", "runs"],
    ["native (amd64)", s(median(native)), "1.00x", native.map(s).join(" ")],
    [
      "amd64+arm64 (arm64 cross-compiled)",
      s(median(both)),
      `${(median(both) / median(native)).toFixed(2)}x`,
      both.map(s).join(" "),
    ],
  ]);
  // Both platforms' images serve: arm64's under qemu.
  for (const platform of [amd64, arm64])
    console.log(`${platform.architecture}: ${await getFromImage(index, {}, { platform })}`);
}

try {
  say("reference builder (cached by its inputs)");
  const builder = await referenceBuilder();
  const bindings = await caBindings();
  const source = join(ROOT, "examples/apps/go-hello");
  let n = 0;
  const fresh = () => {
    n++;
    return { output: `oci:${join(work, `out-${n}`)}:latest`, cacheDir: join(work, `cache-${n}`) };
  };
  const build = (app: string, o: { output: string; cacheDir: string }, runImage?: string) =>
    buildApp({ appDir: app, builder, bindings, ...o, ...(runImage ? { runImage } : {}), onOutput: () => {} });

  // Each build gets its own copy of the app, as a user's checkout.
  const copy = async () => {
    const dir = await fixtureApp("bench-go", {}, source);
    apps.push(dir);
    return dir;
  };
  const editOnly = process.env.BENCH_GO_EDIT === "only";
  // BENCH_GO_MULTI=only: the two-platform rows alone.
  if (process.env.BENCH_GO_MULTI !== "only" && !editOnly) {
    const cold: number[] = [];
    const warm: number[] = [];
    const edited: number[] = [];
    const handCold: number[] = [];
    const handEdit: number[] = [];
    const [zip] = await localGoToolchains("amd64", ["1.27.4"], say);

    let last = fresh();
    for (let round = 1; round <= RUNS; round++) {
      say(`round ${round} of ${RUNS} (load average ${loadavg()[0]!.toFixed(1)})`);
      last = fresh();
      const app = await copy();
      cold.push(await timed(() => build(app, last)));
      warm.push(await timed(async () => build(await copy(), last)));
      const changed = await copy();
      await edit(changed, round);
      edited.push(await timed(() => build(changed, last)));

      // The hand floor: the same steps a cold build can't skip, with nothing of cnbkit's.
      const hand = await mkdtemp(join(work, "hand-"));
      const src = await copy();
      const env = {
        GOMODCACHE: join(hand, "mod"),
        GOCACHE: join(hand, "cache"),
        GOFLAGS: "-modcacherw",
        GOTOOLCHAIN: "local",
        CGO_ENABLED: "0",
      };
      const go = join(hand, "go", "golang.org", `toolchain@v0.0.1-go1.27.4.linux-amd64`, "bin", "go");
      handCold.push(
        await timed(() => {
          sh(["unzip", "-q", zip!.file, "-d", join(hand, "go"), "-x", "*/src/cmd/*"], hand);
          sh([go, "mod", "download"], src, env);
          sh([go, "build", ...FLAGS, "-o", join(hand, "bin", "go-hello"), "."], src, env);
          sh(["tar", "czf", join(hand, "layer.tgz"), "-C", join(hand, "bin"), "."], hand);
        }),
      );
      await edit(src, round);
      handEdit.push(await timed(() => sh([go, "build", ...FLAGS, "-o", join(hand, "bin", "go-hello"), "."], src, env)));
      await rm(hand, { recursive: true, force: true });
    }

    say("the same app on the tiny run image");
    const tiny = await ensureBaseImages({ flavor: "tiny", onProgress: say });
    const onTiny = fresh();
    await build(await copy(), onTiny, tiny.run.ref);
    const size = async (ref: string) => {
      const layers = await imageLayerSizes(ref);
      const sum = (k: "compressed" | "uncompressed") => layers.reduce((a, l) => a + l[k], 0);
      const app = layers.filter((l) => l.origin.startsWith("cnbkit/go")).reduce((a, l) => a + l.compressed, 0);
      return `${(sum("compressed") / 1e6).toFixed(1)} MB compressed, ${(sum("uncompressed") / 1e6).toFixed(1)} MB unpacked (cnbkit/go's layers ${(app / 1e6).toFixed(1)} MB)`;
    };

    const s = (x: number) => `${(x / 1000).toFixed(1)} s`;
    const floor = median(handCold);
    table([
      ["go-hello (gin)", "median", "vs", "runs"],
      ["cold build", s(median(cold)), `${(median(cold) / floor).toFixed(2)}x the hand floor`, cold.map(s).join(" ")],
      ["hand floor: unzip + go mod download + go build + tar", s(floor), "", handCold.map(s).join(" ")],
      ["warm no-op rebuild", s(median(warm)), "", warm.map(s).join(" ")],
      [
        "rebuild after a one-line edit",
        s(median(edited)),
        `hand edit + ${s(median(edited) - median(handEdit))}`,
        edited.map(s).join(" "),
      ],
      ["hand: go build after the edit", s(median(handEdit)), "", handEdit.map(s).join(" ")],
    ]);
    console.log(`image, standard run image: ${await size(last.output)}`);
    console.log(`image, tiny run image: ${await size(onTiny.output)}`);
  }
  if (process.env.BENCH_GO_MULTI && !editOnly) await twoPlatforms(copy, bindings);
  if (process.env.BENCH_GO_EDIT !== "0" && process.env.BENCH_GO_MULTI !== "only") {
    const cases: EditCase[] = [
      {
        name: "go-hello (gin)",
        source,
        edit: editGreeting("main.go"),
        tool: (app) => goEditTool(app, "."),
        toolInBuild: GO_BUILD_LINE,
      },
    ];
    // Caddy's two build caches (~1.7 GB each), the lifecycle's untarred copy of one and the
    // hand caches need about 8 GB; on a shared disk with less, its rows are left out, saying so.
    const fs = await statfs(work);
    const freeGb = (fs.bavail * fs.bsize) / 1e9;
    if (freeGb < CADDY_DISK_GB)
      say(`Caddy's rows left out: ${freeGb.toFixed(1)} GB free under ${work}, they need about ${CADDY_DISK_GB} GB`);
    else
      cases.push({
        name: `caddy ${CADDY.version} (${CADDY.target})`,
        source: await outsideGoSource(CADDY, say),
        env: { BP_GO_TARGETS: CADDY.target },
        edit: editCaddy,
        tool: (app) => goEditTool(app, CADDY.target),
        toolInBuild: GO_BUILD_LINE,
      });
    await benchEditRebuilds(cases, { work, builder, bindings, runs: RUNS, say });
  }
  console.log(`peak RSS (platform process): ${peakRssMb()} MB`);
} finally {
  for (const dir of [work, ...apps]) await rm(dir, { recursive: true, force: true });
}
