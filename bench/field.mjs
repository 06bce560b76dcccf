// The field benchmark, cnbkit's way: each repository of bench/field/repos.json is built with the
// reference builder (local variant, as `npm run main` makes it) cold, then warm with the same
// cache, and its image is run and asked over HTTP. blog.bult.ai's measure is "reliable build"
// (cold and warm both produce an image); ours adds "serves" (the app answers below 500).
//
// Usage: node bench/field.mjs [--only <substring>] [--results <file.jsonl>] [--logs <dir>]
//   --logs keeps each step's whole output there (<owner>+<name>.<cold|warm|run>.log).
//   CNBKIT_FIELD_MIRROR  a dir of bare git mirrors named <owner>+<name>/repo (default /work/.mirror);
//                        a repository not there is cloned from GitHub into the temp dir.
//   CNBKIT_FIELD_BUILDER the builder (default oci:.cnbkit/images/builder:latest, made by npm run main).
//   CNBKIT_FIELD_CLI     the cnbkit CLI bundle (default builder-packager/dist/cnbkit.mjs; a bundle of a
//                        checkout made with `node scripts/build-cli.mjs <file>` runs the same).
// One repository at a time; every temp dir (/tmp/cnbkit-field-*) and process is removed as it ends.
// Each result is appended to --results as one JSON line, so a long run can be read while it goes,
// and the table is printed at the end. Not part of test:all: it takes about an hour.
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const cli = process.env.CNBKIT_FIELD_CLI ?? join(root, "builder-packager/dist/cnbkit.mjs");
const builder = process.env.CNBKIT_FIELD_BUILDER ?? `oci:${join(root, ".cnbkit/images/builder")}:latest`;
const mirror = process.env.CNBKIT_FIELD_MIRROR ?? "/work/.mirror";
const args = process.argv.slice(2);
const only = argValue("--only");
const resultsFile = argValue("--results");
const logsDir = argValue("--logs");
const buildTimeoutMs = 15 * 60_000;
const serveWaitMs = 120_000;

function argValue(name) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Runs a command to its end with a timeout; returns its exit code and its output's last lines. */
function run(cmd, argv, opts = {}) {
  return new Promise((done) => {
    const child = spawn(cmd, argv, { ...opts, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    const keep = (b) => {
      out = (out + b.toString()).slice(-200_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => {
      out += `\nerror: timed out after ${buildTimeoutMs / 60_000} min`;
      process.kill(-child.pid, "SIGKILL");
    }, buildTimeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code: code ?? 1, out });
    });
  });
}

/** The one line that says why a build failed: cnbkit's `error:` line, else the last non-empty line. */
function causeOf(out) {
  const lines = out
    .split("\n")
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, "").trim())
    .filter(Boolean);
  const error = lines.filter((l) => /^(error|ERROR)\b/.test(l)).pop();
  return (error ?? lines.pop() ?? "no output").slice(0, 300);
}

function freePort() {
  return new Promise((done) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

/** The app's source at its commit, from the mirror or a clone. */
function checkout(entry, tmp) {
  const src = join(tmp, "src");
  mkdirSync(src);
  let gitDir = join(mirror, entry.repo.replace("/", "+"), "repo");
  if (!existsSync(gitDir)) {
    gitDir = join(tmp, "git");
    const clone = spawnSync("git", [
      "clone",
      "--bare",
      "--filter=blob:none",
      `https://github.com/${entry.repo}`,
      gitDir,
    ]);
    if (clone.status !== 0) throw new Error(`git clone of ${entry.repo} failed: ${clone.stderr.toString().trim()}`);
  }
  const archive = spawnSync("sh", [
    "-c",
    'git --git-dir="$1" archive "$2" | tar -x -C "$3"',
    "sh",
    gitDir,
    entry.commit,
    src,
  ]);
  if (archive.status !== 0) throw new Error(`git archive of ${entry.repo}@${entry.commit} failed: ${archive.stderr}`);
  return join(src, entry.subdir ?? "");
}

/** Keeps a step's whole output under --logs, when given. */
function keepLog(entry, step, out) {
  if (!logsDir) return;
  mkdirSync(logsDir, { recursive: true });
  writeFileSync(join(logsDir, `${entry.repo.replace("/", "+")}.${step}.log`), out);
}

async function build(entry, step, app, tmp) {
  const argv = [cli, "build", app, "--builder", builder, "--output", `oci:${join(tmp, "image")}:latest`];
  argv.push("--cache-dir", join(tmp, "cache"));
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  if (ca && existsSync(ca)) {
    const binding = join(tmp, "ca");
    mkdirSync(binding, { recursive: true });
    spawnSync("sh", ["-c", 'printf ca-certificates >"$1/type" && cp "$2" "$1/ca.pem"', "sh", binding, ca]);
    argv.push("--binding", `ca=${binding}`);
  }
  const t = Date.now();
  const r = await run(process.execPath, argv, { env: { ...process.env, NO_COLOR: "1" } });
  keepLog(entry, step, r.out);
  // An image no buildpack gave a start command (`cnbkit build`'s warning) is counted apart: it
  // is a build by the paper's measure, but of an app cnbkit may not serve.
  const noStart = /^warning: the image has no start command.*$/m.exec(r.out)?.[0];
  return { ok: r.code === 0, s: (Date.now() - t) / 1000, cause: r.code === 0 ? "" : causeOf(r.out), noStart };
}

/** Runs the image, asks entry.path until it answers below 500, the run exits or serveWaitMs pass. */
async function serve(entry, tmp) {
  const port = await freePort();
  const child = spawn(process.execPath, [cli, "run", `oci:${join(tmp, "image")}:latest`, "--port", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let out = "";
  const keep = (b) => {
    out = (out + b.toString()).slice(-100_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  const t = Date.now();
  let result = { ok: false, cause: `no answer on ${entry.path} within ${serveWaitMs / 1000} s` };
  while (Date.now() - t < serveWaitMs) {
    if (exited) {
      result = { ok: false, cause: `exited: ${causeOf(out)}` };
      break;
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}${entry.path}`, {
        signal: AbortSignal.timeout(5000),
        redirect: "manual",
      });
      if (res.status < 500) {
        result = { ok: true, cause: `HTTP ${res.status} after ${((Date.now() - t) / 1000).toFixed(1)} s` };
        break;
      }
      result = { ok: false, cause: `HTTP ${res.status}: ${causeOf(out)}` };
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  if (!exited) {
    child.kill("SIGINT");
    await new Promise((done) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
      child.on("exit", () => {
        clearTimeout(kill);
        done();
      });
    });
  }
  keepLog(entry, "run", out);
  return result;
}

async function bench(entry) {
  const tmp = mkdtempSync("/tmp/cnbkit-field-");
  const row = { repo: entry.repo, commit: entry.commit.slice(0, 12), family: entry.family, subdir: entry.subdir ?? "" };
  try {
    const app = checkout(entry, tmp);
    const cold = await build(entry, "cold", app, tmp);
    const warm = cold.ok ? await build(entry, "warm", app, tmp) : { ok: false, s: 0, cause: "not run: cold failed" };
    const served = warm.ok ? await serve(entry, tmp) : { ok: false, cause: "not run" };
    Object.assign(row, { cold: cold.ok, coldS: cold.s, warm: warm.ok, warmS: warm.s, serves: served.ok });
    if (cold.noStart || warm.noStart) row.noStart = cold.noStart ?? warm.noStart;
    row.cause = cold.cause || warm.cause || (served.ok ? "" : served.cause);
    row.answer = served.ok ? served.cause : "";
  } catch (e) {
    Object.assign(row, { cold: false, warm: false, serves: false, cause: String(e.message ?? e) });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return row;
}

const list = JSON.parse(readFileSync(join(import.meta.dirname, "field/repos.json"), "utf8")).repos;
const rows = [];
for (const entry of list.filter((e) => !only || `${e.family} ${e.repo}`.includes(only))) {
  process.stderr.write(`[field] ${entry.family}: ${entry.repo}${entry.subdir ? `/${entry.subdir}` : ""} ...\n`);
  const row = await bench(entry);
  rows.push(row);
  process.stderr.write(`[field]   cold ${row.cold} warm ${row.warm} serves ${row.serves} ${row.cause ?? ""}\n`);
  if (resultsFile) appendFileSync(resultsFile, `${JSON.stringify(row)}\n`);
}
const mark = (b) => (b ? "yes" : "no");
console.log("| repository@commit | family | cold | warm | serves | cause |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) {
  const name = `${r.repo}${r.subdir ? `/${r.subdir}` : ""}@${r.commit}`;
  console.log(
    `| ${name} | ${r.family} | ${mark(r.cold)} | ${mark(r.warm)} | ${mark(r.serves)} | ${r.cause || r.answer} |`,
  );
}
const reliable = rows.filter((r) => r.cold && r.warm).length;
const serving = rows.filter((r) => r.serves).length;
const noStart = rows.filter((r) => r.cold && r.warm && r.noStart).length;
console.log(
  `\nreliable builds ${reliable}/${rows.length} (${noStart} with no start command), serving images ${serving}/${rows.length}`,
);
