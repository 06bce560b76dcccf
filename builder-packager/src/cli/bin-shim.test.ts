/**
 * `npx cnbkit` in a checkout where npm installed the workspaces before the CLI was built (as
 * `npm run setup` does): the package's bin is linked all the same, says how to build the CLI
 * until it is built, and runs it after.
 */
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { VERSION } from "./main.js";

const ROOT = join(import.meta.dirname, "../../..");
let work = "";
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function run(cmd: string, args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test("npm links the cnbkit bin before dist/ exists; npx cnbkit names the build step, then runs the CLI", async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-npx-"));
  // The workspace as the checkout has it before the build: package.json and what git tracks.
  const pkg = JSON.parse(await readFile(join(ROOT, "builder-packager/package.json"), "utf8"));
  const bin = pkg.bin.cnbkit as string;
  await mkdir(join(work, "builder-packager/bin"), { recursive: true });
  await writeFile(
    join(work, "builder-packager/package.json"),
    JSON.stringify({ name: pkg.name, version: pkg.version, type: "module", bin: pkg.bin }),
  );
  const tracked = run("git", ["ls-files", "--error-unmatch", join("builder-packager", bin)], ROOT);
  if (tracked.status === 0) await copyFile(join(ROOT, "builder-packager", bin), join(work, "builder-packager", bin));
  await writeFile(
    join(work, "package.json"),
    JSON.stringify({ name: "checkout", private: true, workspaces: ["builder-packager"] }),
  );
  const install = run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], work);
  expect(install.status, install.out).toBe(0);

  const before = run("npx", ["--no-install", "cnbkit", "--version"], work);
  expect(before.out).not.toMatch(/could not determine executable/);
  expect(before.status).toBe(1);
  expect(before.out.trim().split("\n")).toEqual([
    expect.stringMatching(/^error: the cnbkit CLI is not built \(no .*\/builder-packager\/dist\/cnbkit\.mjs\)$/),
    "  run 'npm run build' (or 'npm run setup') in the cnbkit checkout",
  ]);

  const dist = join(work, "builder-packager/dist/cnbkit.mjs");
  const build = run(process.execPath, [join(ROOT, "scripts/build-cli.mjs"), dist], ROOT);
  expect(build.status, build.out).toBe(0);
  const after = run("npx", ["--no-install", "cnbkit", "--version"], work);
  expect(after.out.trim()).toBe(`cnbkit ${VERSION}`);
  expect(after.status).toBe(0);
}, 300_000);
