/**
 * Every shell command the docs show is exercised. In docs/*.md, a ```sh block preceded by
 * `<!-- test -->` is run line by line in a temp dir per page (`cd`, `mkdir -p`, `echo > file`,
 * `npm`, `cnbkit` and `cosign`, each optionally after `NAME=value` assignments;
 * `oci:reference-builder` is the e2e reference builder; the cnbkit commands in-process, so
 * they are the code under test; cosign is the real one), and each `cnbkit` line of a
 * block preceded by `<!-- test: syntax -->` is parsed against the command's real options.
 * A block preceded by `<!-- test: cluster -->` is what the cluster suite
 * (test/cluster/, `npm run test:cluster`, outside test:all) runs against a real
 * Kubernetes; here only its cnbkit lines are parsed.
 * The TypeDoc config is checked to build the API reference.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import { type Command, parseInvocation } from "../../builder-packager/src/cli/command.js";
import { commands as registered } from "../../builder-packager/src/cli/commands/index.js";
import { cosign } from "../../builder-packager/src/supply-chain/test-cosign.js";
import { referenceBuilder } from "../e2e/support.js";

const repo = join(import.meta.dirname, "..", "..");
const docsDir = join(repo, "docs");

const commands: Command[] = registered;

interface Block {
  page: string;
  /**
   * registry: run by test/packages/install.test.ts against a registry; cluster: by
   * test/cluster against a one-node Kubernetes; guide: by test/docs/compiled-language.test.ts,
   * in order with the page's file blocks; all syntax-checked here.
   */
  mode: "run" | "syntax" | "registry" | "cluster" | "guide";
  lines: string[];
}

function blocks(): Block[] {
  const out: Block[] = [];
  for (const page of readdirSync(docsDir)
    .filter((f) => f.endsWith(".md"))
    .sort()) {
    const text = readFileSync(join(docsDir, page), "utf8");
    for (const m of text.matchAll(/<!-- test(?:: (syntax|registry|cluster|guide))? -->\s*\n```sh\n([\s\S]*?)```/g)) {
      const lines = m[2]!
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"));
      out.push({ page, mode: (m[1] as Block["mode"] | undefined) ?? "run", lines });
    }
  }
  return out;
}

/** Splits a command line into words: whitespace-separated, double quotes group. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

function findCommand(args: string[]): { cmd: Command | undefined; rest: string[]; name: string } {
  const two = commands.find((c) => c.name === `${args[0]} ${args[1]}`);
  if (two) return { cmd: two, rest: args.slice(2), name: two.name };
  return { cmd: commands.find((c) => c.name === args[0]), rest: args.slice(1), name: args[0] ?? "" };
}

const io = (sink: string[]) => ({ out: (l: string) => sink.push(l), err: (l: string) => sink.push(l) });

async function runCnbkit(args: string[], cwd: string): Promise<string[]> {
  const { cmd, rest, name } = findCommand(args);
  if (!cmd) throw new Error(`docs run "cnbkit ${name}", which is not a registered command`);
  const lines: string[] = [];
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const inv = parseInvocation(cmd, rest, io(lines));
    const code = inv ? await cmd.run(inv) : 0;
    if (code) throw new Error(`cnbkit ${args.join(" ")} exited ${code}:\n${lines.join("\n")}`);
  } finally {
    process.chdir(before);
  }
  return lines;
}

/** Runs `fn` with `env` added to process.env (the in-process CLI reads it), then restores it. */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * `oci:reference-builder` in a tested block is the e2e reference builder (the reference
 * builder.toml with a local Node.js inventory), linked into the block's dir.
 */
async function linkReferenceBuilder(cwd: string): Promise<void> {
  const link = join(cwd, "reference-builder");
  if (existsSync(link)) return;
  const ref = await referenceBuilder();
  symlinkSync(ref.replace(/^oci:/, "").replace(/:latest$/, ""), link);
}

const all = blocks();

describe("docs", () => {
  test("the guides have tested blocks, and the pages the issue asks for exist", () => {
    for (const page of [
      "getting-started.md",
      "concepts.md",
      "packaging-and-builders.md",
      "daemonless-builds.md",
      "testing-buildpacks.md",
      "reference-buildpacks.md",
      "kpack-and-tekton.md",
      "write-your-first-buildpack.md",
      "supply-chain.md",
    ]) {
      expect(existsSync(join(docsDir, page)), page).toBe(true);
    }
    expect(all.filter((b) => b.mode === "run").length).toBeGreaterThanOrEqual(6);
    // getting-started.md is the new user's path, run against a registry by test/packages.
    expect(all.filter((b) => b.page === "getting-started.md" && b.mode === "registry").length).toBeGreaterThanOrEqual(
      5,
    );
    // Every sh block of a page with commands is marked: nothing shown goes untested.
    for (const page of readdirSync(docsDir).filter((f) => f.endsWith(".md"))) {
      const text = readFileSync(join(docsDir, page), "utf8");
      const shBlocks = text.match(/```sh\n/g)?.length ?? 0;
      const marked = text.match(/<!-- test(: syntax|: registry|: cluster|: guide)? -->\s*\n```sh\n/g)?.length ?? 0;
      expect(
        marked,
        `${page}: every sh block needs <!-- test -->, <!-- test: syntax -->, <!-- test: registry -->, <!-- test: cluster --> or <!-- test: guide -->`,
      ).toBe(shBlocks);
    }
  });

  test("every cnbkit line of a syntax block parses against the command's options", () => {
    const checked: string[] = [];
    for (const b of all) {
      for (const line of b.mode === "syntax" ? b.lines : b.lines.filter((l) => l.startsWith("cnbkit "))) {
        if (line === "cnbkit --help") continue; // the top-level help, not a command
        const args = words(line);
        expect(args[0], `${b.page}: ${line}`).toBe("cnbkit");
        const { cmd, rest, name } = findCommand(args.slice(1));
        expect(cmd, `${b.page}: "${line}" uses an unknown command ${name}`).toBeDefined();
        if (!cmd) continue;
        expect(() => parseInvocation(cmd, rest, io([])), `${b.page}: ${line}`).not.toThrow();
        checked.push(line);
      }
    }
    expect(checked.some((l) => l.startsWith("cnbkit package"))).toBe(true);
    expect(checked.some((l) => l.startsWith("cnbkit new"))).toBe(true);
  });

  const pages = [...new Set(all.filter((b) => b.mode === "run").map((b) => b.page))];
  test.each(pages)("%s: the tested blocks run", { timeout: 600_000 }, async (page) => {
    const root = mkdtempSync(join(tmpdir(), "cnbkit-docs-"));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    for (const b of all.filter((x) => x.page === page && x.mode === "run")) {
      let cwd = root; // each block starts where the reader started
      for (const line of b.lines) {
        // Leading NAME=value words are the line's environment (e.g. COSIGN_PASSWORD=…).
        const lineWords = words(line);
        const assigned = lineWords.findIndex((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w));
        const lineEnv = Object.fromEntries(
          lineWords.slice(0, assigned).map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]),
        );
        const args = lineWords.slice(assigned);
        if (args[0] === "cd") {
          cwd = resolve(cwd, args[1]!);
          expect(existsSync(cwd), `${page}: ${line}`).toBe(true);
        } else if (args[0] === "npm") {
          const r = spawnSync("npm", [...args.slice(1), "--no-audit", "--no-fund"], {
            cwd,
            env: process.env,
            encoding: "utf8",
          });
          expect(r.status, `${page}: ${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
        } else if (args[0] === "mkdir" && args[1] === "-p" && args.length === 3) {
          mkdirSync(resolve(cwd, args[2]!), { recursive: true });
        } else if (args[0] === "echo" && args.at(-2) === ">") {
          writeFileSync(resolve(cwd, args.at(-1)!), `${args.slice(1, -2).join(" ")}\n`);
        } else if (args[0] === "cnbkit") {
          if (line.includes("oci:reference-builder")) await linkReferenceBuilder(cwd);
          await withEnv(lineEnv, () => runCnbkit(args.slice(1), cwd));
        } else if (args[0] === "cosign") {
          const r = await cosign(args.slice(1), lineEnv, cwd);
          expect(r.code, `${page}: ${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
        } else {
          throw new Error(
            `${page}: "${line}": tested blocks may use cd, mkdir -p, echo > file, npm, cnbkit and cosign only`,
          );
        }
      }
    }
    if (page === "write-your-first-buildpack.md") {
      // The author loop: the app image was built with the page's buildpack, from source.
      const r = spawnSync("skopeo", ["inspect", "--config", `oci:${join(root, "out/my-app")}:latest`], {
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      const labels = (JSON.parse(r.stdout) as { config: { Labels: Record<string, string> } }).config.Labels;
      expect(labels["io.buildpacks.build.metadata"]).toContain('"id":"acme/tools"');
    }
  });

  test("typedoc.json builds the API reference of the framework and its testing entry", { timeout: 300_000 }, () => {
    const out = mkdtempSync(join(tmpdir(), "cnbkit-api-"));
    onTestFinished(() => rmSync(out, { recursive: true, force: true }));
    const r = spawnSync("npx", ["typedoc", "--options", join(docsDir, "typedoc.json"), "--out", out], {
      cwd: repo,
      encoding: "utf8",
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("html generated");
    expect(r.stdout).not.toMatch(/\[error\]/);
    const modules = readdirSync(join(out, "modules"));
    expect(modules.some((f) => f.startsWith("testing"))).toBe(true);
    expect(existsSync(join(out, "functions", "index.buildpack.html"))).toBe(true);
  });
});
