import { CnbError } from "@cnbkit/framework";
import { describe, expect, test } from "vitest";
import {
  DEFAULT_STALL_TIMEOUT_MS,
  formatStallTimeout,
  parseStallTimeout,
  stallTimeoutFromEnv,
  startStallWatchdog,
} from "./stall-watchdog.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Watches for `forMs` with a CPU clock that advances `cpuStepMs` per reading; returns when it stalled, if it did. */
async function watch(opts: { cpuStepMs?: number; outputEveryMs?: number; forMs: number; timeoutMs: number }) {
  let cpu = 5e9;
  let stalledAfter: number | undefined;
  const started = Date.now();
  const dog = startStallWatchdog({
    timeoutMs: opts.timeoutMs,
    intervalMs: 20,
    cpuTimeNs: async () => {
      cpu += (opts.cpuStepMs ?? 0) * 1e6;
      return cpu;
    },
    onStall: () => {
      stalledAfter = Date.now() - started;
    },
  });
  const output = opts.outputEveryMs ? setInterval(() => dog.progress(), opts.outputEveryMs) : undefined;
  await sleep(opts.forMs);
  clearInterval(output);
  dog.stop();
  return stalledAfter;
}

describe("startStallWatchdog", () => {
  test("a process with no output and no CPU time stalls once the timeout has passed", async () => {
    const after = await watch({ timeoutMs: 200, forMs: 600 });
    expect(after).toBeGreaterThanOrEqual(200);
  });

  test("output keeps a process alive", async () => {
    expect(await watch({ timeoutMs: 200, outputEveryMs: 50, forMs: 600 })).toBeUndefined();
  });

  test("CPU time keeps a quiet process alive (a compressing exporter)", async () => {
    expect(await watch({ timeoutMs: 200, cpuStepMs: 50, forMs: 600 })).toBeUndefined();
  });

  test("runtime ticks of a microsecond or so are not progress (Go's sysmon in a process that waits)", async () => {
    expect(await watch({ timeoutMs: 200, cpuStepMs: 0.01, forMs: 600 })).toBeGreaterThanOrEqual(200);
  });

  test("without a CPU reading, only output counts", async () => {
    let stalled = false;
    const dog = startStallWatchdog({
      timeoutMs: 150,
      intervalMs: 20,
      cpuTimeNs: async () => undefined,
      onStall: () => {
        stalled = true;
      },
    });
    await sleep(400);
    dog.stop();
    expect(stalled).toBe(true);
  });
});

describe("parseStallTimeout", () => {
  test.each([
    ["300", 300_000],
    ["90s", 90_000],
    ["5m", 300_000],
    ["1.5m", 90_000],
    ["1h", 3_600_000],
    ["500ms", 500],
    ["0", 0],
  ])("%s is %d ms", (text, ms) => {
    expect(parseStallTimeout(text, "--stall-timeout")).toBe(ms);
  });

  test("anything else is one line naming where it came from", () => {
    const err = (() => {
      try {
        parseStallTimeout("soon", "--stall-timeout");
      } catch (e) {
        return e;
      }
    })() as CnbError;
    expect(err).toBeInstanceOf(CnbError);
    expect(err.message).toBe('--stall-timeout "soon" is not a duration');
    expect(err.hint).toMatch(/0 turns the stall watchdog off/);
  });

  test("CNBKIT_STALL_TIMEOUT sets the default; unset, it is 5 minutes", () => {
    expect(stallTimeoutFromEnv({})).toBe(DEFAULT_STALL_TIMEOUT_MS);
    expect(DEFAULT_STALL_TIMEOUT_MS).toBe(300_000);
    expect(stallTimeoutFromEnv({ CNBKIT_STALL_TIMEOUT: "2m" })).toBe(120_000);
    expect(() => stallTimeoutFromEnv({ CNBKIT_STALL_TIMEOUT: "x" })).toThrow(/^CNBKIT_STALL_TIMEOUT "x"/);
  });

  test("durations read well in messages", () => {
    expect([500, 3000, 300_000, 330_000].map(formatStallTimeout)).toEqual(["500 ms", "3 s", "5 min", "5 min 30 s"]);
  });
});
