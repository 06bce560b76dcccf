import { describe, expect, test } from "vitest";
import { CnbError, isCnbError } from "../errors/index.js";
import { createLogger } from "../log/index.js";
import { runTool, runToolOutput } from "./run-tool.js";

const env = { PATH: process.env.PATH };

/** A logger whose lines are kept, uncoloured. */
function logged() {
  const lines: string[] = [];
  return { lines, log: createLogger({ sink: (l) => lines.push(l), color: false, env: {} }) };
}

const sh = (script: string) => ["sh", "-c", script];
const unexpected = (): never => {
  throw new Error("the tool was expected to fail");
};

describe("runTool", () => {
  test("streams the output indented under the step and resolves with it", async () => {
    const { lines, log } = logged();
    const out = await runTool(sh("echo one; echo two >&2"), { cwd: "/", env, log });
    expect(out.split("\n").sort()).toEqual(["one", "two"]);
    expect(lines.map((l) => l.trimStart()).sort()).toEqual(["one", "two"]);
    expect(lines.every((l) => /^\s+\S/.test(l))).toBe(true);
  });

  test("runs in cwd with exactly the environment given", async () => {
    const { log } = logged();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
    const out = await runTool(sh('pwd; echo "$A_SET-${A_UNSET-unset}"'), {
      cwd: "/tmp",
      env: { ...env, A_SET: "1", A_UNSET: undefined },
      log,
    });
    expect(out).toBe("/tmp\n1-unset");
  });

  test("a failure is one line: where, the command, how it ended, and the output's last line", async () => {
    const { lines, log } = logged();
    const err = await runTool(sh("echo working; echo 'boom: disk full' >&2; echo; exit 3"), {
      cwd: "/",
      env,
      log,
      where: "package-lock.json",
    }).catch((e: Error) => e);
    expect(isCnbError(err)).toBe(true);
    expect((err as Error).message).toBe(
      `package-lock.json: "sh -c echo working; echo 'boom: disk full' >&2; echo; exit 3" failed (exit 3): boom: disk full`,
    );
    expect(lines.map((l) => l.trim())).toContain("working");
  });

  test("what names the tool; errorLine picks the first error line over the tail", async () => {
    const { log } = logged();
    const err = await runTool(
      sh("echo '[ERROR] Failed to compile'; echo '[ERROR] second'; echo '[INFO] BUILD FAILURE'; exit 1"),
      {
        cwd: "/",
        env,
        log,
        what: "Maven build",
        errorLine: (line) => (line.startsWith("[ERROR]") ? line.slice(8) : undefined),
      },
    ).catch((e: Error) => e);
    expect((err as Error).message).toBe("Maven build failed (exit 1): Failed to compile");
  });

  test("errorLine sees the line before (Gradle's 'What went wrong')", async () => {
    const { log } = logged();
    const err = await runTool(sh("echo '* What went wrong:'; echo 'Task failed'; echo tail; exit 1"), {
      cwd: "/",
      env,
      log,
      what: "Gradle build",
      errorLine: (line, previous) => (previous.startsWith("* What went wrong:") ? line : undefined),
    }).catch((e: Error) => e);
    expect((err as Error).message).toBe("Gradle build failed (exit 1): Task failed");
  });

  test("explain reads the whole output: an error of its own, or the text of the line", async () => {
    const { log } = logged();
    const own = await runTool(sh("echo 'needs gcc'; exit 1"), {
      cwd: "/",
      env,
      log,
      explain: (f) => new CnbError(`no compiler (${f.status}, ${f.output})`, { hint: "install gcc" }),
    }).then(unexpected, (e: CnbError) => e);
    expect(own.message).toBe("no compiler (exit 1, needs gcc)");
    expect(own.hint).toBe("install gcc");
    const text = await runTool(sh("echo 'npm error ERESOLVE'; echo later; exit 1"), {
      cwd: "/",
      env,
      log,
      explain: (f) => /npm error (.+)/.exec(f.output)?.[1],
    }).catch((e: Error) => e);
    expect((text as Error).message).toBe(
      `"sh -c echo 'npm error ERESOLVE'; echo later; exit 1" failed (exit 1): ERESOLVE`,
    );
  });

  test("a conditional hint is given only when the output says so", async () => {
    const { log } = logged();
    const opts = { cwd: "/", env, log, hint: "Run npm install", hintWhen: /out of sync/ };
    const unrelated = await runTool(sh("exit 2"), opts).then(unexpected, (e: CnbError) => e);
    expect(unrelated.hint).toBeUndefined();
    const sync = await runTool(sh("echo 'lockfile out of sync'; exit 1"), opts).then(unexpected, (e: CnbError) => e);
    expect(sync.hint).toBe("Run npm install");
  });

  test("quiet keeps the output out of the log unless the tool fails", async () => {
    const ok = logged();
    expect(await runTool(sh("echo 3.12.1"), { cwd: "/", env, log: ok.log, quiet: true })).toBe("3.12.1");
    expect(ok.lines).toEqual([]);
    const failed = logged();
    await runTool(sh("echo why; exit 1"), { cwd: "/", env, log: failed.log, quiet: true }).catch(() => {});
    expect(failed.lines.map((l) => l.trim())).toEqual(["why"]);
  });

  test("lines a tool repeats per package are shown once, then counted", async () => {
    const { lines, log } = logged();
    await runTool(sh('for i in 1 2 3 4; do echo "YN0013: pkg$i"; done; echo done'), {
      cwd: "/",
      env,
      log,
      fold: /YN0013:/,
    });
    expect(lines.map((l) => l.trim())).toEqual(["YN0013: pkg1", "done", '(3 more "YN0013:" lines not shown)']);
  });

  test("only the last `keep` characters of a long output are held", async () => {
    const { log } = logged();
    const out = await runTool(sh("for i in $(seq 1 3000); do echo line$i; done"), { cwd: "/", env, log, keep: 100 });
    const kept = out.split("\n");
    expect(kept.at(-1)).toBe("line3000");
    expect(out.length).toBeLessThanOrEqual(100);
    expect(kept.length).toBeGreaterThan(5);
  });

  test("a tool that cannot start says so, named by what when given", async () => {
    const { log } = logged();
    const bare = await runTool(["no-such-tool-xyz"], { cwd: "/", env, log }).catch((e: Error) => e);
    expect((bare as Error).message).toBe('"no-such-tool-xyz" was not found on PATH');
    const named = await runTool(["no-such-tool-xyz"], { cwd: "/", env, log, what: "jlink" }).catch((e: Error) => e);
    expect((named as Error).message).toBe('jlink: "no-such-tool-xyz" was not found on PATH');
  });

  test("runToolOutput keeps stdout apart from stderr, and the log still shows both as printed", async () => {
    const { lines, log } = logged();
    const out = await runToolOutput(sh("echo 'go: downloading x' >&2; echo go1.25.4; echo 'warning: y' >&2"), {
      cwd: "/",
      env,
      log,
    });
    expect(out.stdout).toBe("go1.25.4");
    expect(out.stderr).toBe("go: downloading x\nwarning: y");
    expect(out.output.split("\n").sort()).toEqual(["go1.25.4", "go: downloading x", "warning: y"]);
    expect(lines.map((l) => l.trim()).sort()).toEqual(["go1.25.4", "go: downloading x", "warning: y"]);
  });

  test('quiet: "stdout" keeps the value out of the log and streams stderr; a failure shows the value too', async () => {
    const ok = logged();
    const out = await runToolOutput(sh("echo 3.12.1; echo progress >&2"), {
      cwd: "/",
      env,
      log: ok.log,
      quiet: "stdout",
    });
    expect(out.stdout).toBe("3.12.1");
    expect(ok.lines.map((l) => l.trim())).toEqual(["progress"]);
    const failed = logged();
    await runToolOutput(sh("echo partial; echo why >&2; exit 1"), {
      cwd: "/",
      env,
      log: failed.log,
      quiet: "stdout",
    }).catch(() => {});
    expect(failed.lines.map((l) => l.trim())).toEqual(["why", "partial"]);
  });

  test("explain sees stdout and stderr apart", async () => {
    const { log } = logged();
    const err = await runTool(sh("echo '{\"ok\":false}'; echo 'fatal: no module' >&2; exit 1"), {
      cwd: "/",
      env,
      log,
      explain: (f) => `${f.stderr} (stdout ${f.stdout})`,
    }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/failed \(exit 1\): fatal: no module \(stdout \{"ok":false\}\)$/);
  });

  test("file names the file to look at in front of the error line; the deprecated where still does the same", async () => {
    const { log } = logged();
    const byFile = await runTool(sh("echo 'missing go.sum entry'; exit 1"), {
      cwd: "/",
      env,
      log,
      file: "go.mod",
      what: "go build",
    }).then(unexpected, (e: CnbError) => e);
    expect(byFile.message).toBe("go.mod: go build failed (exit 1): missing go.sum entry");
    const byWhere = await runTool(sh("echo 'missing go.sum entry'; exit 1"), {
      cwd: "/",
      env,
      log,
      where: "go.mod",
      what: "go build",
    }).then(unexpected, (e: CnbError) => e);
    expect(byWhere.message).toBe(byFile.message);
  });
});
