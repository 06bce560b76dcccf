/**
 * docs/write-a-buildpack-for-a-compiled-language.md, run word for word, in the order the page
 * has it: each block preceded by `<!-- file: <path> -->` is written to that path (the
 * buildpack's buildpack.toml, index.ts and its test, the app), each ```sh block preceded by
 * `<!-- test: guide -->` is run line by line (as test/docs/docs.test.ts runs its blocks: cd,
 * mkdir -p, echo > file, npm, cnbkit in-process). Three things stand in for what a reader
 * does by hand, and nothing else: `curl -o` of a Go toolchain takes the verified copy in
 * ~/.cache/cnbkit/go-toolchains (the download is the one tools/local-builder makes, checked
 * against cnbkit/go's inventory) instead of 76 MB from the network, and the app's module
 * (`curl -o` of its .mod and .zip, 17 KB) is downloaded once, sha256-pinned, into
 * ~/.cache/cnbkit/docs-downloads (`go` checks it against the page's go.sum as well); `cnbkit run <image>
 * --port N` starts the app with `cnbkit run`'s code on a free port, and a `curl` line after
 * it asks that port, its body checked against the `<!-- output -->` block that follows;
 * `oci:reference-builder` is the e2e reference builder. The page's real builds are the one
 * image build and one rebuild after an edit, whose log must show every cache reused (the
 * module cache too: no module is downloaded again).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { type Command, parseInvocation } from "../../builder-packager/src/cli/command.js";
import { commands } from "../../builder-packager/src/cli/commands/index.js";
import { cnbkitCacheDir } from "../../builder-packager/src/cache/index.js";
import { buildCacheName } from "../../builder-packager/src/platform/app-build/build-cache-key.js";
import { runApp } from "../../builder-packager/src/platform/run.js";
import { localGoToolchains } from "../../tools/local-builder/local-go.js";
import { freePort, referenceBuilder } from "../e2e/support.js";

const page = join(import.meta.dirname, "..", "..", "docs", "write-a-buildpack-for-a-compiled-language.md");

/** One step of the page: a file to write, or shell lines to run (with the output the page expects). */
type Step = { kind: "file"; path: string; text: string } | { kind: "sh"; lines: string[]; output?: string };

function steps(text: string): Step[] {
  const out: Step[] = [];
  const re = /<!-- (file: (\S+)|test: guide|output) -->\s*\n```[a-z]*\n([\s\S]*?)```/g;
  for (const m of text.matchAll(re)) {
    if (m[2]) out.push({ kind: "file", path: m[2], text: m[3]! });
    else if (m[1] === "output") {
      const last = out.at(-1);
      if (last?.kind === "sh") last.output = m[3]!;
    } else {
      const lines = m[3]!.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
      out.push({ kind: "sh", lines });
    }
  }
  return out;
}

function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

function findCommand(args: string[]): { cmd: Command | undefined; rest: string[] } {
  const two = commands.find((c) => c.name === `${args[0]} ${args[1]}`);
  if (two) return { cmd: two, rest: args.slice(2) };
  return { cmd: commands.find((c) => c.name === args[0]), rest: args.slice(1) };
}

/** Runs a cnbkit command in-process in `cwd`; returns its output lines. */
async function cnbkit(args: string[], cwd: string): Promise<string[]> {
  const { cmd, rest } = findCommand(args);
  if (!cmd) throw new Error(`the guide runs "cnbkit ${args[0]}", which is not a registered command`);
  const lines: string[] = [];
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const inv = parseInvocation(cmd, rest, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    const code = inv ? await cmd.run(inv) : 0;
    if (code) throw new Error(`cnbkit ${args.join(" ")} exited ${code}:\n${lines.join("\n")}`);
  } finally {
    process.chdir(before);
  }
  return lines;
}

/** The sha256 of each other file the page downloads (the app's module, as proxy.golang.org serves it). */
const pinned: Record<string, string> = {
  "https://proxy.golang.org/github.com/cespare/xxhash/v2/@v/v2.3.0.mod":
    "a090f8eaaf59cc2adf163299ebefe797e1dca3f6add2c8e88a6a3b90ba538b02",
  "https://proxy.golang.org/github.com/cespare/xxhash/v2/@v/v2.3.0.zip":
    "145a26cdc7c49db566017b807c4989ee7f7ddeb569423e9cb99f995fac3621d3",
};

/** `url`'s bytes, checked against `pinned`; kept in ~/.cache/cnbkit/docs-downloads, so only a first run downloads. */
async function cachedDownload(url: string): Promise<Buffer> {
  const sha = pinned[url];
  expect(sha, `the guide downloads ${url}, which this test does not pin: add its sha256`).toBeDefined();
  const file = join(cnbkitCacheDir(), "docs-downloads", sha!);
  if (existsSync(file)) return readFileSync(file);
  const res = await fetch(url);
  expect(res.status, `${url}: HTTP ${res.status}`).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(createHash("sha256").update(bytes).digest("hex"), `${url}: sha256`).toBe(sha);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.${process.pid}.tmp`, bytes);
  renameSync(`${file}.${process.pid}.tmp`, file);
  return bytes;
}

/**
 * `curl -fsSLo <file> <url>`: for a Go toolchain, the cached, verified zip, hard-linked (or
 * copied) there; for anything else (the app's module, a few KB), the real download.
 */
async function curlOutput(args: string[], cwd: string): Promise<void> {
  const [file, url] = args.slice(-2) as [string, string];
  const dest = resolve(cwd, file);
  mkdirSync(dirname(dest), { recursive: true });
  const m = /toolchain\/@v\/v0\.0\.1-go(\d+\.\d+\.\d+)\.linux-(amd64|arm64)\.zip$/.exec(url);
  if (!m) {
    writeFileSync(dest, await cachedDownload(url));
    return;
  }
  const [zip] = await localGoToolchains(m[2] as "amd64" | "arm64", [m[1]!]);
  try {
    linkSync(zip!.file, dest);
  } catch {
    writeFileSync(dest, readFileSync(zip!.file));
  }
}

/** What the page's blocks left behind: the output of each `cnbkit build`, in order. */
interface Run {
  root: string;
  builds: string[][];
}

async function runLines(step: Extract<Step, { kind: "sh" }>, run: Run): Promise<void> {
  let cwd = run.root;
  let app: Awaited<ReturnType<typeof runApp>> | undefined;
  let port = 0;
  try {
    for (const line of step.lines) {
      const args = words(line);
      if (args[0] === "cd") cwd = resolve(cwd, args[1]!);
      else if (args[0] === "mkdir" && args[1] === "-p") mkdirSync(resolve(cwd, args[2]!), { recursive: true });
      else if (args[0] === "echo" && args.at(-2) === ">")
        writeFileSync(resolve(cwd, args.at(-1)!), `${args.slice(1, -2).join(" ")}\n`);
      else if (args[0] === "npm") {
        // --prefer-offline: npm's cache is warm (scripts/setup.sh); revalidating every package took 25 s.
        const r = spawnSync("npm", [...args.slice(1), "--no-audit", "--no-fund", "--prefer-offline"], {
          cwd,
          encoding: "utf8",
        });
        expect(r.status, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
      } else if (args[0] === "curl" && args.includes("-fsSLo")) await curlOutput(args, cwd);
      else if (args[0] === "cnbkit" && args[1] === "run") {
        port = await freePort();
        const image = args[2]!.replace(/^oci:(.*)$/, (_, dir: string) => `oci:${resolve(cwd, dir)}`);
        app = await runApp({ image, port, env: { HOST: "127.0.0.1" }, onOutput: () => {} });
        await app.ready(180_000);
      } else if (args[0] === "curl") {
        expect(app, `${line}: the guide curls before cnbkit run`).toBeDefined();
        const url = new URL(args.at(-1)!);
        const res = await fetch(`http://127.0.0.1:${port}${url.pathname}`);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe(step.output);
      } else if (args[0] === "cnbkit") {
        if (line.includes("oci:reference-builder") && !existsSync(join(cwd, "reference-builder"))) {
          symlinkSync(
            (await referenceBuilder()).replace(/^oci:/, "").replace(/:latest$/, ""),
            join(cwd, "reference-builder"),
          );
        }
        const out = await cnbkit(args.slice(1), cwd);
        if (args[1] === "build") run.builds.push(out);
      } else
        throw new Error(`"${line}": the guide's blocks may use cd, mkdir -p, echo > file, npm, curl and cnbkit only`);
    }
  } finally {
    await app?.stop();
  }
}

test("the compiled-language guide runs word for word, and its rebuild after an edit keeps every cache", {
  timeout: 900_000,
}, async () => {
  const all = steps(readFileSync(page, "utf8"));
  expect(all.filter((s) => s.kind === "file").map((s) => (s as { path: string }).path)).toEqual([
    "go-hello/buildpack.toml",
    "go-hello/src/index.ts",
    "go-hello/src/index.test.ts",
    "hello-app/go.mod",
    "hello-app/go.sum",
    "hello-app/greeting.go",
    "hello-app/main.go",
    "hello-app/greeting.go",
  ]);
  const run: Run = { root: mkdtempSync(join(tmpdir(), "cnbkit-docs-compiled-")), builds: [] };
  onTestFinished(() => rmSync(run.root, { recursive: true, force: true }));
  // The builds' default cache is an entry of the user's pool, keyed by this temp app: it goes too.
  const appDir = join(run.root, "hello-app");
  const image = `oci:${join(run.root, "out/hello-app")}`;
  const pool = join(cnbkitCacheDir(), "build-cache");
  onTestFinished(() => {
    const name = buildCacheName({ appDir, image, platform: "linux/amd64", builder: "" });
    rmSync(join(pool, name), { recursive: true, force: true });
    rmSync(join(pool, `${name}.layers`), { recursive: true, force: true }); // its layer store (layer-store/)
    // This process's in-use marker of the entry (cache/prune.ts: .in-use/<name>.<pid>).
    rmSync(join(pool, ".in-use", `${name}.${process.pid}`), { force: true });
    // The record that names this app's last cache (build-cache-key.ts's recordPath, keyed by the app dir).
    const record = createHash("sha256").update(appDir).digest("hex").slice(0, 24);
    rmSync(join(pool, ".last", `${record}.json`), { force: true });
  });
  for (const step of all) {
    if (step.kind === "file") {
      mkdirSync(dirname(join(run.root, step.path)), { recursive: true });
      writeFileSync(join(run.root, step.path), step.text);
    } else await runLines(step, run);
  }
  expect(run.builds).toHaveLength(2);
  const [first, second] = run.builds.map((b) => b.join("\n")) as [string, string];
  // The first build installs Go when the compile asks for it, from the binding's mirror, and
  // downloads the app's module (from the mirror too, through GOPROXY).
  expect(first).toContain("Not installing Go 1.27.4 yet");
  expect(first).toContain("(mirror from binding go (default))");
  expect(first).toContain("go: downloading github.com/cespare/xxhash/v2 v2.3.0");
  // After the edit: the toolchain and Go's cache come back from the build cache, only the app compiles.
  expect(second).toContain("Reusing go (key unchanged; kept without installing)");
  expect(second).toContain("Reusing go-cache (key unchanged)");
  expect(second).toContain("Reusing go-mod (key unchanged)");
  expect(second).not.toContain("go: downloading");
  expect(second).toMatch(/Rebuilding app: sources \S+ → \S+/);
  expect(second).not.toContain("Installing Go");
});
