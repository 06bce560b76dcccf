/**
 * Notices a container that makes no progress: no output and no CPU time for a while.
 *
 * A build that hangs says nothing: an arm64 build under qemu 7.2 sat at `===> DETECTING` for
 * 33 minutes, its processes asleep in futex_wait. Waiting is not progress, work is: any line
 * of output, or CPU time used by the container's processes (their cgroup, as runc reports
 * it). Quiet but busy phases (an exporter compressing layers, a compiler) go on; a phase
 * that sleeps forever is stopped after the timeout, and the caller says which phase it was.
 */
import { CnbError } from "@cnbkit/framework";

/** Default stall timeout: generous for quiet phases, short next to a hung CI job. */
export const DEFAULT_STALL_TIMEOUT_MS = 5 * 60_000;

/**
 * CPU time that counts as progress, summed since the last progress. Idle runtimes still tick
 * (Go's sysmon, timers) for a few microseconds a minute; real work uses far more.
 */
export const MIN_PROGRESS_CPU_MS = 100;

/** Options of {@link startStallWatchdog}. */
export interface StallWatchdogOptions {
  /** How long without progress counts as a stall, in ms. */
  timeoutMs: number;
  /** Total CPU time used so far, in ns, or undefined when it cannot be read (then only output counts). */
  cpuTimeNs: () => Promise<number | undefined>;
  /** Called once when the watched process stalled, with how long it has made no progress. */
  onStall: (idleMs: number) => void;
  /** How often CPU time is read (default: a tenth of the timeout, between 200 ms and 10 s). */
  intervalMs?: number;
  /** CPU time that counts as progress (default {@link MIN_PROGRESS_CPU_MS}). */
  minCpuMs?: number;
}

/** A running watchdog. */
export interface StallWatchdog {
  /** The process showed progress (a line of output). */
  progress(): void;
  /** Stops watching; call it when the process ended. */
  stop(): void;
}

/**
 * Starts watching: every interval, reads the CPU time; when neither output nor
 * `minCpuMs` of CPU time came for `timeoutMs`, calls `onStall` once and stops.
 *
 * @example
 * const dog = startStallWatchdog({ timeoutMs: 300_000, cpuTimeNs: () => containerCpuNs(id), onStall: () => kill(id) });
 * child.stdout.on("data", () => dog.progress());
 * child.on("close", () => dog.stop());
 */
export function startStallWatchdog(opts: StallWatchdogOptions): StallWatchdog {
  const intervalMs = opts.intervalMs ?? Math.min(10_000, Math.max(200, Math.floor(opts.timeoutMs / 10)));
  const minCpuNs = (opts.minCpuMs ?? MIN_PROGRESS_CPU_MS) * 1e6;
  let lastProgress = Date.now();
  let cpuAtProgress: number | undefined;
  let stopped = false;
  let checking = false;
  const check = async () => {
    if (stopped || checking) return;
    checking = true;
    try {
      const cpu = await opts.cpuTimeNs().catch(() => undefined);
      if (stopped) return;
      if (cpu !== undefined) {
        if (cpuAtProgress === undefined || cpu < cpuAtProgress) cpuAtProgress = cpu;
        else if (cpu - cpuAtProgress >= minCpuNs) {
          lastProgress = Date.now();
          cpuAtProgress = cpu;
        }
      }
      const idle = Date.now() - lastProgress;
      if (idle >= opts.timeoutMs) {
        stop();
        opts.onStall(idle);
      }
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  function stop() {
    stopped = true;
    clearInterval(timer);
  }
  return {
    progress() {
      lastProgress = Date.now();
      cpuAtProgress = undefined; // measured afresh from the next reading
    },
    stop,
  };
}

/**
 * Parses a stall timeout (or another duration flag's value): seconds ("300"), or with a unit
 * ("90s", "5m", "1h"); "0" turns the watchdog off (returns 0; `zero` says what it does for
 * another flag). Throws a one-line {@link CnbError} naming `where` otherwise.
 *
 * @example
 * parseStallTimeout("5m", "--stall-timeout"); // 300000
 */
export function parseStallTimeout(text: string, where: string, zero = "turns the stall watchdog off"): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) {
    throw new CnbError(`${where} "${text}" is not a duration`, {
      hint: `give seconds ("300") or a number with s, m or h ("90s", "5m"); 0 ${zero}`,
    });
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"] ?? 1000;
  return Math.round(Number(m[1]) * unit);
}

/** The stall timeout from `CNBKIT_STALL_TIMEOUT`, or {@link DEFAULT_STALL_TIMEOUT_MS} when unset. */
export function stallTimeoutFromEnv(env: Record<string, string | undefined> = process.env): number {
  const v = env.CNBKIT_STALL_TIMEOUT;
  return v === undefined || v === "" ? DEFAULT_STALL_TIMEOUT_MS : parseStallTimeout(v, "CNBKIT_STALL_TIMEOUT");
}

/** A duration for messages: "300 ms", "45 s", "5 min", "5 min 30 s". */
export function formatStallTimeout(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
