import { describe, expect, test } from "vitest";
import { isCnbError } from "../errors/index.js";
import { describeExit, runStreaming } from "./run-streaming.js";

const env = { PATH: process.env.PATH };

/** Runs a Node script as the child; returns its lines and exit. */
async function node(script: string) {
  const lines: string[] = [];
  const exit = await runStreaming([process.execPath, "-e", script], { cwd: "/", env, onLine: (l) => lines.push(l) });
  return { lines, exit };
}

describe("runStreaming", () => {
  test("delivers stdout and stderr lines, a last line with no newline, and the exit code", async () => {
    const { lines, exit } = await node(
      "process.stdout.write('one\\r\\ntwo\\n'); process.stderr.write('oops\\n'); process.stdout.write('tail'); process.exitCode = 3",
    );
    expect(lines.sort()).toEqual(["one", "oops", "tail", "two"]);
    expect(exit).toEqual({ code: 3, signal: null });
    expect(describeExit(exit)).toBe("exit 3");
  });

  test("each line says which stream it came from", async () => {
    const seen: string[] = [];
    await runStreaming([process.execPath, "-e", "console.log('value'); console.error('warning')"], {
      cwd: "/",
      env,
      onLine: (line, stream) => seen.push(`${stream}:${line}`),
    });
    expect(seen.sort()).toEqual(["stderr:warning", "stdout:value"]);
  });

  test("a line half on stdout, half on stderr is not glued into one", async () => {
    const { lines } = await node(
      "process.stdout.write('out-'); setTimeout(() => { process.stderr.write('err\\n'); setTimeout(() => process.stdout.write('line\\n'), 20) }, 20)",
    );
    expect(lines).toEqual(["err", "out-line"]);
  });

  test("a character split across two writes arrives whole", async () => {
    // "é" is 0xc3 0xa9 in UTF-8: the child writes its two bytes 30 ms apart.
    const { lines } = await node(
      "process.stdout.write(Buffer.from([0x63, 0x61, 0x66, 0xc3])); setTimeout(() => process.stdout.write(Buffer.from([0xa9, 0x0a])), 30)",
    );
    expect(lines).toEqual(["café"]);
  });

  test("a process killed by a signal says so", async () => {
    const { exit } = await node("process.kill(process.pid, 'SIGKILL')");
    expect(exit).toEqual({ code: null, signal: "SIGKILL" });
    expect(describeExit(exit)).toBe("killed by SIGKILL");
  });

  test("a command that does not exist rejects with one line naming it", async () => {
    const err = await runStreaming(["no-such-tool-xyz", "--version"], { cwd: "/", env, onLine: () => {} }).catch(
      (e: unknown) => e,
    );
    expect(isCnbError(err)).toBe(true);
    expect((err as Error).message).toBe('"no-such-tool-xyz" was not found on PATH');
    const abs = await runStreaming(["/no/such/bin/tool"], { cwd: "/", env, onLine: () => {} }).catch((e: Error) => e);
    expect((abs as Error).message).toBe('"/no/such/bin/tool" was not found');
  });

  test("unset variables are left out of the child's environment", async () => {
    const lines: string[] = [];
    await runStreaming([process.execPath, "-e", "console.log(JSON.stringify(Object.keys(process.env).sort()))"], {
      cwd: "/",
      env: { ...env, A_SET: "1", A_UNSET: undefined },
      onLine: (l) => lines.push(l),
    });
    const keys = JSON.parse(lines[0] as string) as string[];
    expect(keys).toContain("A_SET");
    expect(keys).not.toContain("A_UNSET");
  });
});
