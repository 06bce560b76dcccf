/**
 * The "rebuild after a one-line edit" rows of bench:build and bench:go (issue 76 item 1): for
 * each app, a warm rebuild after a one-line source edit with the cache layers through the
 * lifecycle's cache (CNBKIT_LAYER_CACHE=off, today's path) and by reference (the platform's
 * layer store under an overlay), in the same run, interleaved (off then on in odd rounds, on
 * then off in even ones, each with its own build cache and previous image, warmed by one cold
 * build first), beside the build tool's own incremental time after the same edit on the host.
 * The goal: the rebuild costs at most the tool's time + 2 s. Each build's lifecycle output is
 * read for the cache layers the lifecycle restored, so a by-reference run that quietly fell
 * back to the lifecycle's cache (not root, no overlay) shows. BENCH_EDIT_APPS=node-hello,caddy
 * picks apps by the start of their names.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { type Binding, buildApp } from "../builder-packager/src/platform/index.js";
import { fixtureApp } from "../test/e2e/support.js";
import { median, table } from "./stats.js";

/** The build tool's own run after an edit, on the host, with its caches warm. */
export interface EditTool {
  /** What the figure is, for the table ("go build, warm GOCACHE"). */
  note: string;
  /** Times the tool after edit `n` (the harness already edited the tool's copy); ms. */
  run(n: number): Promise<number>;
  /** Removes what the tool's set-up made. */
  done(): Promise<void>;
}

/** One app of the rows. */
export interface EditCase {
  name: string;
  /** The app's source dir (copied for each mode). */
  source: string;
  /** Platform env of every build of it (BP_GO_TARGETS...). */
  env?: Record<string, string>;
  /**
   * The build's own line timing the tool's run inside it (its first group a duration as the
   * framework's logger prints one: "350ms", "4.2s"), so the phase table shows how much of the
   * building phase the tool took there ("Built go-hello in 1.2s").
   */
  toolInBuild?: RegExp;
  /** Makes edit `n` in a copy of the app: one line of one source file. */
  edit(app: string, n: number): Promise<void>;
  /**
   * Sets up the tool on its own copy of the app (untimed: its caches warmed by a first run) and
   * returns it; each round edits that copy with {@link EditCase.edit} and times `run`.
   */
  tool(app: string): Promise<EditTool>;
}

/** What the rows need from the bench run. */
export interface EditRebuildInputs {
  /** The run's scratch dir (removed by the caller). */
  work: string;
  builder: string;
  bindings: Binding[];
  runs: number;
  say(line: string): void;
}

type Mode = "off" | "on";

/** One build's figures: wall time, phases and the lifecycle's cache traffic. */
interface Built {
  ms: number;
  phases: Record<string, number>;
  /** Cache layers the lifecycle restored ("Restoring data for ... from cache"). */
  restored: string[];
  /** The tool's run inside the build, from {@link EditCase.toolInBuild}'s line; ms. */
  toolMs?: number;
}

/**
 * A duration as the framework's logger prints it ("350ms", "4.2s", "1m 3s"), in ms.
 *
 * @example
 * parseLoggedDuration("1m 3s"); // 63000
 */
export function parseLoggedDuration(text: string): number | undefined {
  const m = /^(?:(\d+)m\s*)?(?:(\d+(?:\.\d+)?)(ms|s))?$/.exec(text.trim());
  if (!m || (m[1] === undefined && m[2] === undefined)) return undefined;
  return Number(m[1] ?? 0) * 60_000 + Number(m[2] ?? 0) * (m[3] === "ms" ? 1 : 1000);
}

/** Regex over a greeting line: "Hello from" and "Hello (edit 3) from" alike. */
const GREETING = /Hello(?: \(edit \d+\))? from/;

/** The usual edit: the greeting of `file` becomes "Hello (edit n) from ...". */
export function editGreeting(file: string): (app: string, n: number) => Promise<void> {
  return async (app, n) => {
    const path = join(app, file);
    const text = await readFile(path, "utf8");
    if (!GREETING.test(text)) throw new Error(`${path} has no "Hello from" line to edit`);
    await writeFile(path, text.replace(GREETING, `Hello (edit ${n}) from`));
  };
}

/** A tool with nothing incremental to run for a source edit: 0 s, with why. */
export function noTool(note: string): (app: string) => Promise<EditTool> {
  return async () => ({ note, run: async () => 0, done: async () => {} });
}

/** Runs the rows for `cases` and prints one table, plus where the builds spent their time. */
export async function benchEditRebuilds(cases: EditCase[], o: EditRebuildInputs): Promise<void> {
  // BENCH_EDIT_APPS=node-hello,caddy: only the apps whose names start with one of these.
  const picked = process.env.BENCH_EDIT_APPS?.split(",").map((x) => x.trim());
  if (picked) cases = cases.filter((c) => picked.some((p) => c.name.startsWith(p)));
  console.log(
    `\nRebuild after a one-line edit, layer cache off (the lifecycle's cache, today) and on (by reference), interleaved, medians of ${o.runs}; goal: rebuild <= tool + 2 s. Each app's table is printed as soon as it is measured.`,
  );
  for (const c of cases) {
    const r = await measureCase(c, o);
    console.log(`\n${c.name} (load average at its start: ${r.load})\n`);
    table([["measure", "median", "vs the tool", "goal", "runs (s)"], ...r.rows]);
    console.log("");
    table([
      [
        "lifecycle phases (medians)",
        "start",
        "analyzing",
        "detecting",
        "restoring",
        "building",
        c.toolInBuild ? "the tool in the build" : "",
        "exporting (and the platform's work after it)",
        "cache layers the lifecycle restored",
      ],
      ...r.phaseRows,
    ]);
  }
}

/** One app: a cold build per mode, then the interleaved rounds and the tool's runs. */
async function measureCase(
  c: EditCase,
  o: EditRebuildInputs,
): Promise<{ rows: string[][]; phaseRows: string[][]; load: string }> {
  const load = `${loadavg()
    .map((l) => l.toFixed(1))
    .join(", ")}`;
  const dirs: string[] = [];
  const copy = async () => {
    const dir = await fixtureApp("bench-edit", {}, c.source);
    dirs.push(dir);
    return dir;
  };
  const results: Record<Mode, Built[]> = { off: [], on: [] };
  const tool: number[] = [];
  let toolNote = "";
  try {
    const at: Record<Mode, { app: string; output: string; cacheDir: string }> = {
      off: { app: await copy(), output: "", cacheDir: "" },
      on: { app: await copy(), output: "", cacheDir: "" },
    };
    for (const mode of ["off", "on"] as const) {
      const dir = join(o.work, `edit-${c.name.replace(/\W+/g, "-")}-${mode}`);
      await mkdir(dir, { recursive: true });
      at[mode].output = `oci:${join(dir, "image")}:latest`;
      at[mode].cacheDir = join(dir, "cache");
      o.say(`${c.name}: cold build with the layer cache ${mode} (untimed: it fills the cache the edits reuse)`);
      const cold = await timedBuild(o, c, mode, at[mode]);
      o.say(`${c.name}: cold build, layer cache ${mode}: ${(cold.ms / 1000).toFixed(1)} s`);
    }
    o.say(`${c.name}: the tool's set-up on the host (untimed: its caches warmed by a first run)`);
    const toolApp = await copy();
    const t = await c.tool(toolApp);
    toolNote = t.note;
    try {
      for (let n = 1; n <= o.runs; n++) {
        o.say(`${c.name}: edit round ${n} of ${o.runs} (load average ${loadavg()[0]!.toFixed(1)})`);
        const order: Mode[] = n % 2 ? ["off", "on"] : ["on", "off"];
        for (const mode of order) {
          await c.edit(at[mode].app, n);
          results[mode].push(await timedBuild(o, c, mode, at[mode]));
        }
        // The tool's copy gets the same edit first: timed on an unedited copy, the tool has
        // nothing to do (a go build that relinks nothing, a compileall that compiles nothing).
        await c.edit(toolApp, n);
        tool.push(await t.run(n));
      }
    } finally {
      await t.done();
    }
  } finally {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
  return { ...caseRows(c.name, results, tool, toolNote), load };
}

/** The table rows of one app. */
function caseRows(
  name: string,
  results: Record<Mode, Built[]>,
  tool: number[],
  toolNote: string,
): { rows: string[][]; phaseRows: string[][] } {
  const s = (x: number) => `${(x / 1000).toFixed(2)} s`;
  const all = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(" / ");
  const toolMs = median(tool);
  const rows: string[][] = [[`${name}: the tool's own incremental time (${toolNote})`, s(toolMs), "", "", all(tool)]];
  const phaseRows: string[][] = [];
  for (const mode of ["off", "on"] as const) {
    const ms = results[mode].map((b) => b.ms);
    const m = median(ms);
    const label = mode === "off" ? "layer cache off (today)" : "layer cache on (by reference)";
    rows.push([
      `${name}: rebuild after a one-line edit, ${label}`,
      s(m),
      `tool + ${s(m - toolMs)}`,
      m <= toolMs + 2000 ? "pass" : "FAIL",
      all(ms),
    ]);
    const phase = (p: string) => s(median(results[mode].map((b) => b.phases[p] ?? 0)));
    const restored = results[mode].at(-1)?.restored ?? [];
    const inBuild = results[mode].flatMap((b) => (b.toolMs === undefined ? [] : [b.toolMs]));
    phaseRows.push([
      `${name}, ${mode}`,
      phase("start"),
      phase("analyzing"),
      phase("detecting"),
      phase("restoring"),
      phase("building"),
      inBuild.length ? s(median(inBuild)) : "",
      phase("exporting"),
      restored.length ? restored.join(", ") : "none",
    ]);
  }
  return { rows, phaseRows };
}

/** One timed build of `c` in `mode` (CNBKIT_LAYER_CACHE=off in this process's env, or unset). */
async function timedBuild(
  o: EditRebuildInputs,
  c: EditCase,
  mode: Mode,
  at: { app: string; output: string; cacheDir: string },
): Promise<Built> {
  const before = process.env.CNBKIT_LAYER_CACHE;
  if (mode === "off") process.env.CNBKIT_LAYER_CACHE = "off";
  else delete process.env.CNBKIT_LAYER_CACHE;
  const marks: [string, number][] = [];
  const restored: string[] = [];
  let toolMs: number | undefined;
  const t0 = performance.now();
  try {
    await buildApp({
      appDir: at.app,
      builder: o.builder,
      output: at.output,
      cacheDir: at.cacheDir,
      bindings: o.bindings,
      env: c.env ?? {},
      onOutput: (line) => {
        const plain = line.replace(/\u001b\[[0-9;]*m/g, "");
        const m = /===> (\w+)/.exec(plain);
        if (m?.[1]) marks.push([m[1].toLowerCase(), performance.now()]);
        const r = /Restoring data for "([^"]+)" from cache/.exec(plain);
        if (r?.[1]) restored.push(r[1]);
        const t = c.toolInBuild?.exec(plain)?.[1];
        if (t !== undefined) toolMs = (toolMs ?? 0) + (parseLoggedDuration(t) ?? Number.NaN);
      },
    });
  } finally {
    if (before === undefined) delete process.env.CNBKIT_LAYER_CACHE;
    else process.env.CNBKIT_LAYER_CACHE = before;
  }
  const end = performance.now();
  marks.push(["end", end]);
  // "start": the platform's work before the lifecycle's first phase (images placed, the view
  // mounted, the workspace copied, the container and the creator started).
  const phases: Record<string, number> = marks.length > 1 ? { start: marks[0]![1] - t0 } : {};
  for (let i = 0; i + 1 < marks.length; i++) phases[marks[i]![0]] = marks[i + 1]![1] - marks[i]![1];
  return { ms: end - t0, phases, restored, ...(toolMs !== undefined ? { toolMs } : {}) };
}
