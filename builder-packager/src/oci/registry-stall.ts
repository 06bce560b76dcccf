/**
 * The registry client's stall timer: a request or download that moves no byte for a while is
 * as good as dropped. A mirror that stops sending halfway through a layer keeps its socket open
 * (no reset, no FIN), and Node's fetch would wait for it for minutes; cnbkit aborts it and
 * resumes instead.
 *
 * The timer runs only while cnbkit waits on the network: while a consumer of a download is
 * busy (a slow disk, a layer being unpacked), it is paused, so backpressure is never taken for
 * a stall.
 */
import { CnbError } from "@cnbkit/framework";

/** How long a registry request may move no byte before it counts as dropped (60 s). */
export const DEFAULT_REGISTRY_STALL_MS = 60_000;

/**
 * The stall timeout from `CNBKIT_REGISTRY_STALL_TIMEOUT` (seconds, or a number with ms, s, m
 * or h: "90s", "2m"; 0 turns it off), else {@link DEFAULT_REGISTRY_STALL_MS}.
 *
 * @example
 * registryStallTimeoutMs({ CNBKIT_REGISTRY_STALL_TIMEOUT: "30s" }) // 30000
 */
export function registryStallTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const text = env.CNBKIT_REGISTRY_STALL_TIMEOUT;
  if (text === undefined || text.trim() === "") return DEFAULT_REGISTRY_STALL_MS;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) {
    throw new CnbError(`CNBKIT_REGISTRY_STALL_TIMEOUT "${text}" is not a duration`, {
      hint: 'give seconds ("60") or a number with ms, s, m or h ("90s", "2m"); 0 waits forever',
    });
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"] ?? 1000;
  return Math.round(Number(m[1]) * unit);
}

/** A duration for messages: "800 ms", "30 s", "2 min". */
export function formatWait(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 60 || s % 60 !== 0 ? `${s} s` : `${s / 60} min`;
}

/**
 * One stall clock, re-armed for each attempt of a request: {@link arm} starts an attempt,
 * {@link touch} says a byte moved, {@link pause} stops the clock while nobody waits on the
 * network, {@link onStall} names what a stall ends (node:http's request), {@link signal} is
 * an AbortSignal for it when one is needed (fetch through a proxy).
 *
 * Every running watch is checked by one shared timer set for the earliest deadline among them
 * (see {@link Sweep}): a touch only moves the watch's own deadline. A fleet scan makes
 * thousands of requests; a timer, an AbortController and its listener each (what this was)
 * cost a few µs a request in timer-list and event-target work.
 *
 * @example
 * const watch = new StallWatch(30_000);
 * watch.arm();
 * const res = await send(url, { method: "GET", headers: {}, stall: watch });
 * for (;;) { watch.touch(); const r = await reader.read(); watch.pause(); ... }
 */
export class StallWatch {
  /** When the running clock runs out (Date.now() ms); meaningful only while running. */
  deadline = 0;
  /** In the sweep's set: the clock is running. */
  private running = false;
  private expired = false;
  private stop: ((reason: Error) => void) | undefined;
  /** The current attempt's controller, made only when {@link signal} is asked for. */
  private controller: AbortController | undefined;

  /** @param ms how long no byte may move (0: never a stall) */
  constructor(readonly ms: number) {}

  /** A new attempt, with the clock running from now (what the last attempt's stall ended is forgotten). */
  arm(): void {
    this.pause();
    this.expired = false;
    this.stop = undefined;
    this.controller = undefined;
    this.touch();
  }

  /** A byte moved (or we start waiting again): the clock restarts. */
  touch(): void {
    if (this.ms <= 0 || this.expired) return;
    this.deadline = Date.now() + this.ms;
    if (!this.running) {
      this.running = true;
      sweep.add(this);
    }
  }

  /** Nobody waits on the network now (the consumer is busy, or the attempt is over). */
  pause(): void {
    if (!this.running) return;
    this.running = false;
    sweep.delete(this);
  }

  /** True when the current attempt was aborted for stalling. */
  get stalled(): boolean {
    return this.expired;
  }

  /** `end` is called once, with the reason, if the current attempt stalls (or at once if it has). */
  onStall(end: (reason: Error) => void): void {
    if (this.expired) end(this.reason());
    else this.stop = end;
  }

  /** The current attempt's abort signal, aborted when it stalls. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.expired) this.controller.abort(this.reason());
    }
    return this.controller.signal;
  }

  /** The sweep found the clock run out: the attempt is over (called by the sweep only). */
  expire(): void {
    this.running = false;
    this.expired = true;
    const reason = this.reason();
    this.controller?.abort(reason);
    const end = this.stop;
    this.stop = undefined;
    end?.(reason);
  }

  private reason(): CnbError {
    return new CnbError(`no bytes for ${formatWait(this.ms)}`);
  }
}

/**
 * The running watches and the one timer that checks them, set for the earliest deadline: a
 * new watch moves it earlier only when its deadline comes first (a shorter timeout), a touch
 * never moves it (deadlines only go later), and when it fires, each watch whose deadline has
 * passed expires and the timer is set for the next. No watch running, no timer.
 */
class Sweep {
  private readonly watches = new Set<StallWatch>();
  private timer: NodeJS.Timeout | undefined;
  private at = Number.POSITIVE_INFINITY;

  add(w: StallWatch): void {
    this.watches.add(w);
    if (w.deadline < this.at) this.schedule(w.deadline);
  }

  delete(w: StallWatch): void {
    this.watches.delete(w);
    if (this.watches.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.at = Number.POSITIVE_INFINITY;
    }
  }

  private schedule(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(() => this.run(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    this.at = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const w of [...this.watches]) {
      if (w.deadline <= now) {
        this.watches.delete(w);
        w.expire();
      } else if (w.deadline < next) {
        next = w.deadline;
      }
    }
    if (next < Number.POSITIVE_INFINITY) this.schedule(next);
  }
}

const sweep = new Sweep();
