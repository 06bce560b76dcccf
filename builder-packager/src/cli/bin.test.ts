import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");
let work = "";
let cli = "";

beforeAll(async () => {
  // Inside the repository, as npm installs it: its imports of esbuild must resolve.
  // A directory of its own: the bundle is an entry and chunks/ beside it, removed together.
  work = join(ROOT, `.cnbkit/e2e/cli/bin-${process.pid}`);
  await mkdir(work, { recursive: true });
  cli = join(work, "cnbkit.mjs");
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/build-cli.mjs"), cli], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The esbuild modules (CommonJS, so in the require cache) the bundled CLI loaded to run `args`, and after a control load. */
function modulesLoadedBy(args: string[]): { out: string; esbuild: string[]; control: string[] } {
  const probe = `
    import { createRequire } from "node:module";
    process.argv = [process.execPath, ${JSON.stringify(cli)}, ...${JSON.stringify(args)}];
    await import(${JSON.stringify(cli)});
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((m) => m.includes("/node_modules/esbuild/"));
    console.log("ESBUILD " + JSON.stringify(loaded()));
    await import("esbuild"); // the control: the probe does see esbuild once it is loaded
    console.log("CONTROL " + JSON.stringify(loaded()));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8", cwd: ROOT });
  const list = (tag: string) =>
    JSON.parse(
      r.stdout
        .split("\n")
        .find((l) => l.startsWith(`${tag} `))
        ?.slice(tag.length + 1) ?? "null",
    ) as string[];
  return { out: r.stdout, esbuild: list("ESBUILD"), control: list("CONTROL") };
}

test("commands other than package do not load esbuild", () => {
  for (const args of [["--version"], ["inspect", "--help"], ["build", "--help"]]) {
    const { out, esbuild, control } = modulesLoadedBy(args);
    expect(out).toMatch(/cnbkit|Usage/);
    expect(esbuild).toEqual([]);
    expect(control.length).toBeGreaterThan(0);
  }
});

/** The files Node parses before the CLI runs anything: the entry and what it imports statically. */
function startClosure(entry: string, seen = new Map<string, number>()): Map<string, number> {
  const text = readFileSync(entry, "utf8");
  seen.set(entry, text.length);
  for (const m of text.matchAll(/^(?:import|export)\b[^;]*?["'](\.[^"']+)["']/gm)) {
    const file = resolve(dirname(entry), m[1]!);
    if (!seen.has(file)) startClosure(file, seen);
  }
  return seen;
}

test("a start parses the commands' declarations, not their code: each command's module is a chunk of its own", () => {
  const closure = startClosure(cli);
  const bytes = [...closure.values()].reduce((a, n) => a + n, 0);
  // The single-file bundle was 2.9 MB; declarations importing three stages' constants brought ~1 MB back.
  expect(bytes, [...closure.keys()].join("\n")).toBeLessThan(300_000);
  expect(readFileSync(cli, "utf8")).toMatch(/import\("\.\/chunks\/fleet-scan-run-[A-Z0-9]+\.mjs"\)/);
});
