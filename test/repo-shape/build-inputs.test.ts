/**
 * scripts/check-build-inputs.mjs (`npm run lint:build-inputs`) on a made-up stage folder: the
 * entries (build-app.ts's buildApp, multi-platform.ts's buildPlatforms) may take the whole
 * options bag and steps that take a Pick or a BuildPart pass; a step that takes the bag, by
 * its name, an alias of it, an Omit of it or its `["opts"]`, fails with a line naming the
 * file, line, function and what to do, and an entry that no longer takes it fails too.
 * The real stage against the real entries is lint's job.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, onTestFinished, test } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCRIPT = join(ROOT, "scripts/check-build-inputs.mjs");

const OPTIONS = [
  "export interface BuildOptions { appDir: string; output: string; env?: Record<string, string> }",
  "export interface MultiBuildOptions extends BuildOptions { shareArchNeutral?: boolean }",
  "export interface Build { opts: BuildOptions & { builder: string }; say: (l: string) => void }",
  'export type BuildPart<K extends keyof Build, O extends keyof Build["opts"]> = Pick<Build, K> & { opts: Pick<Build["opts"], O> };',
  "/** An alias is the bag too. */",
  "export type WholeBuild = Build & { started: number };",
].join("\n");

const ENTRIES = [
  'import type { BuildOptions, BuildPart } from "./options.js";',
  "export async function buildApp(options: BuildOptions): Promise<void> {}",
  'function step(build: BuildPart<"say", "env">): void {}',
  'function picked(opts: Pick<BuildOptions, "output">): void {}',
].join("\n");

/** Runs the check on a stage folder of `files`; its exit status and error lines, paths from the folder. */
async function check(files: Record<string, string>): Promise<{ status: number | null; errors: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-build-inputs-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const r = spawnSync(process.execPath, [SCRIPT, "--dir", dir], { encoding: "utf8" });
  return {
    status: r.status,
    errors: r.stderr
      .split("\n")
      .filter((l) => l.startsWith("error: "))
      .map((l) => l.replace(`error: ${relative(ROOT, dir)}/`, "")),
  };
}

test("the entries take the bag, steps take a Pick or a BuildPart, tests are not read: it passes", async () => {
  const r = await check({
    "options.ts": OPTIONS,
    "build-app.ts": ENTRIES,
    "multi-platform.ts": [
      'import type { MultiBuildOptions } from "./options.js";',
      "export async function buildPlatforms(options: MultiBuildOptions): Promise<void> {}",
    ].join("\n"),
    "build-app.test.ts": 'import type { Build } from "./options.js";\nfunction fake(build: Build): void {}',
  });
  expect(r).toEqual({ status: 0, errors: [] });
});

test("a step that takes the bag in any form fails, named; so does an entry that no longer takes it", async () => {
  const r = await check({
    "options.ts": OPTIONS,
    "build-app.ts": ENTRIES,
    "multi-platform.ts": [
      'import type { Build, BuildOptions, WholeBuild } from "./options.js";',
      "export async function buildPlatforms(options: { appDir: string }): Promise<void> {}",
      "async function buildOne(opts: BuildOptions & { builder: string }): Promise<void> {}",
      "const inView = (build: WholeBuild) => build;",
      "class Steps {",
      '  run(opts: Omit<BuildOptions, "env">, n: number): void {}',
      '  read(opts: Build["opts"]): void {}',
      "}",
    ].join("\n"),
  });
  const fix =
    "give it what it reads, a BuildPart<…>, Pick<…> or small type of its own; only the stage's entries (buildApp, buildPlatforms) take the bag";
  expect(r.status).toBe(1);
  expect(r.errors).toEqual([
    `multi-platform.ts:3: buildOne takes the whole options bag (opts: BuildOptions & { builder: string }): ${fix}`,
    `multi-platform.ts:4: inView takes the whole options bag (build: WholeBuild): ${fix}`,
    `multi-platform.ts:6: Steps.run takes the whole options bag (opts: Omit<BuildOptions, "env">): ${fix}`,
    `multi-platform.ts:7: Steps.read takes the whole options bag (opts: Build["opts"]): ${fix}`,
    "multi-platform.ts: buildPlatforms: listed as an entry of the stage, and it takes no whole options bag now (or is gone): fix ENTRIES in scripts/check-build-inputs.mjs",
  ]);
});
