/**
 * `cnbkit build` (the bundled CLI, as a user runs it) on apps that cannot build: a non-zero
 * exit, one `error:` line (and its hint) on stderr, said once (a failed buildpack's error is
 * not also in the build output; a detect error is only there), and no output image. Then a build SIGKILLed midway, and the rebuild that follows.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { sweepStale } from "../../builder-packager/src/cache/index.js";
import { cliSession, fixtureApp, getFromImage, ROOT, runCli } from "./support.js";

const HELLO = join(ROOT, "examples/apps/node-hello");
const e2e = cliSession("fail");

async function helloWith(edit: (pkg: string) => string): Promise<string> {
  const pkg = await readFile(join(HELLO, "package.json"), "utf8");
  const edited = edit(pkg);
  expect(edited).not.toBe(pkg);
  return fixtureApp("hello-edited", { "package.json": edited }, HELLO);
}

/**
 * Builds `app` with the CLI and checks the failure contract: exit 1, on stderr one `error:`
 * line (and the hint, when `hint` is given), no stack trace, no image. A build failure's
 * message and hint are said once, on stderr: `once` must not be in the build output. A
 * detect failure's reason stays in the build output, where `outputLine` finds it.
 */
async function failingBuild(
  app: string,
  expected: { stderr: RegExp; hint?: RegExp; outputLine?: RegExp; once?: string[] },
): Promise<void> {
  const out = join(e2e.work, `out-${Math.random().toString(16).slice(2)}`);
  try {
    const r = await runCli(e2e.cli, ["build", app, "--builder", e2e.builder, "--output", `oci:${out}`, ...e2e.ca]);
    const errLines = r.stderr.split("\n").filter((l) => l.trim() !== "");
    console.log(`stderr: ${errLines.join(" | ")}`);
    expect(r.code).toBe(1);
    expect(errLines).toHaveLength(expected.hint ? 2 : 1);
    expect(errLines[0]).toMatch(expected.stderr);
    if (expected.hint) expect(errLines[1]).toMatch(expected.hint);
    if (expected.outputLine) {
      expect(r.stdout.split("\n")).toEqual(expect.arrayContaining([expect.stringMatching(expected.outputLine)]));
    }
    for (const text of expected.once ?? []) expect(r.stdout).not.toContain(text);
    expect(r.stdout).not.toMatch(/^\s+at .*\(.*:\d+:\d+\)$/m); // no stack trace
    expect(existsSync(out)).toBe(false);
  } finally {
    // Also when an expectation fails: a failed test must not leave its app copy behind.
    await rm(app, { recursive: true, force: true });
  }
}

describe("failure fixtures give one line", () => {
  test("package-lock.json out of sync with package.json", async () => {
    const app = await helloWith((p) => p.replace('"ms": "2.1.3"', '"ms": "2.1.2"'));
    await failingBuild(app, {
      stderr:
        /^error: cnbkit\/nodejs failed to build: package-lock\.json: "npm ci" failed \(exit 1\): `npm ci` can only install packages when your package\.json and package-lock\.json .* are in sync/,
      hint: /^ {2}package-lock\.json is out of sync with package\.json: run "npm install" and commit package-lock\.json$/,
      once: ['"npm ci" failed (exit 1)', 'run "npm install" and commit'],
    });
  });

  test("an engines.node range no inventory version satisfies", async () => {
    const app = await helloWith((p) => p.replace('"node": "24.x"', '"node": ">=99"'));
    await failingBuild(app, {
      stderr:
        /^error: cnbkit\/nodejs failed to build: package\.json: engines\.node ">=99" matches no Node\.js version in the inventory for linux\/amd64 \(newest: 26\.10\.0\)$/,
      hint: /^ {2}Available for linux\/amd64: 26\.10\.0, 24\.21\.0, 24\.20\.0, 22\.23\.3\. Change engines\.node in package\.json to one of 26\.x, 24\.x, 22\.x, or build with BP_NODE_VERSION=26\.$/,
      once: ["matches no Node.js version", "Available for linux/amd64"],
    });
  });

  test("a syntax error in package.json", async () => {
    const app = await helloWith((p) => p.replace('"private": true,', '"private": true,,'));
    await failingBuild(app, {
      stderr: /^error: no buildpack group passed detection and a buildpack errored \(ran: .*cnbkit\/nodejs@0\.1\.0/,
      outputLine: /^error: package\.json: invalid JSON at line \d+, column \d+: /,
    });
  });

  test("no buildpack detects", async () => {
    const app = await fixtureApp("nothing", { "README.md": "no code here\n" });
    await failingBuild(app, {
      // Every language's buildpack ran, in the order their groups first name them (the web and
      // Go groups come before the Node.js one, so procfile is named before python).
      stderr:
        /^error: no buildpack group passed detection \(ran: (?=.*cnbkit\/nodejs@0\.1\.0)(?=.*cnbkit\/python@0\.1\.0)(?=.*cnbkit\/java@0\.1\.0)(?=.*cnbkit\/go@0\.1\.0)(?=.*cnbkit\/web@0\.1\.0).*cnbkit\/procfile@0\.1\.0.*\)$/,
      outputLine: /^fail: cnbkit\/procfile@0\.1\.0$/,
    });
  });
});

/** The runc state roots (`cnbkit-runc-<pid>-*`) cnbkit process `pid` has under the temp dir now. */
function stateRoots(pid: number): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(`cnbkit-runc-${pid}-`));
}

/** The temp dirs any cnbkit process `pid` left (runc roots, views, bundles). */
function leftoversOf(pid: number): string[] {
  return readdirSync(tmpdir()).filter((n) => new RegExp(`^cnbkit-[a-z]+-${pid}-`).test(n));
}

describe("a build SIGKILLed midway", () => {
  // What must hold whatever the timing: while npm ci runs, the build has a runc state root; after
  // the SIGKILL it may be gone already (the container guard of runc.ts, seeing its owner's pipe
  // close, kills the container and removes the root within a second; or another build's stale
  // sweep took it) or still be there (the guard not done yet): both are right. After the next
  // build nothing of the dead build is left, and the image is correct.
  test("leaves no image, and the next build gives a correct one that answers", async () => {
    const app = await fixtureApp("hello-killed", {}, HELLO);
    const out = join(e2e.work, "killed");
    const cache = join(e2e.work, "killed-cache");
    const args = [
      "build",
      app,
      "--builder",
      e2e.builder,
      "--output",
      `oci:${out}:latest`,
      "--cache-dir",
      cache,
      ...e2e.ca,
    ];
    let rootsAtKill: string[] = [];
    let killedPid = 0;
    try {
      // Killed while npm ci runs inside the build container.
      const killed = await runCli(e2e.cli, args, (l, pid) => {
        if (!/Running npm ci/.test(l) || killedPid) return undefined;
        killedPid = pid;
        rootsAtKill = stateRoots(pid);
        return "kill";
      });
      expect(killed.signal).toBe("SIGKILL");
      expect(killed.stdout).toMatch(/Running npm ci/);
      expect(killed.stdout).not.toMatch(/Successfully built/);
      expect(existsSync(join(out, "index.json"))).toBe(false);
      // npm ci ran in a container under a state root named by the build's pid.
      expect(rootsAtKill.length).toBeGreaterThan(0);

      const again = await runCli(e2e.cli, args);
      expect(again.stderr).toBe("");
      expect(again.code).toBe(0);
      const digest = /Successfully built .* \((sha256:[0-9a-f]{64})\)/.exec(again.stdout)?.[1];
      const s = spawnSync("skopeo", ["inspect", `oci:${out}:latest`], { encoding: "utf8" });
      expect(s.status).toBe(0);
      expect(JSON.parse(s.stdout).Digest).toBe(digest);
      // The dead build's container and dirs are gone (its guard or the next build's sweep).
      expect(leftoversOf(killed.pid)).toEqual([]);
      expect(await getFromImage(`oci:${out}:latest`)).toMatch(/^200 Hello from node-hello on Node v24\.21\.0, up /);
    } finally {
      // Also when an expectation failed: no container, state root or app copy outlives the test.
      // (sweepStale: what the next build does, for dead cnbkit processes only)
      if (killedPid) await sweepStale();
      await rm(app, { recursive: true, force: true });
    }
  }, 600_000);
});
