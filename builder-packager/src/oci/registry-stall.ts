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
 * One stall timer, re-armed for each attempt of a request: {@link arm} gives the attempt's
 * abort signal (pass it to fetch: it aborts the request and its body), {@link touch} says a
 * byte moved, {@link pause} stops the clock while nobody waits on the network.
 *
 * @example
 * const watch = new StallWatch(30_000);
 * const res = await fetch(url, { signal: watch.arm() });
 * for (;;) { watch.touch(); const r = await reader.read(); watch.pause(); ... }
 */
export class StallWatch {
  /**
   * The current attempt's controller, made when first needed: a request makes a watch or two
   * that are armed at once or only touched, and a fleet scan makes thousands (an
   * AbortController each, made and dropped, was ~2% of its CPU).
   */
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** @param ms how long no byte may move (0: never a stall) */
  constructor(readonly ms: number) {}

  /** A fresh signal for a new attempt, with the clock running from now. */
  arm(): AbortSignal {
    this.pause();
    this.controller = new AbortController();
    this.touch();
    return this.controller.signal;
  }

  /** A byte moved (or we start waiting again): the clock restarts. */
  touch(): void {
    if (this.ms <= 0 || this.stalled) return;
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    // the attempt the clock runs for (arm clears the timer before it makes another)
    const attempt = this.controller;
    this.timer = setTimeout(() => {
      if (!attempt) this.controller ??= new AbortController();
      (attempt ?? this.controller)?.abort(new CnbError(`no bytes for ${formatWait(this.ms)}`));
    }, this.ms);
    this.timer.unref();
  }

  /** Nobody waits on the network now (the consumer is busy, or the attempt is over). */
  pause(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** True when the current attempt was aborted for stalling. */
  get stalled(): boolean {
    return this.controller?.signal.aborted ?? false;
  }
}
