/**
 * A logger for work started ahead of its turn: a step that runs beside another (a download
 * while a runtime unpacks) must not print into the other's section. Its lines are held, in
 * order, and written where the work would have run alone: when its result is taken.
 */
import type { Logger } from "./logger.js";

/** A {@link Logger} whose lines wait for {@link HeldLogger.release}. */
export interface HeldLogger {
  /** Log with this; lines are held until released, and written at once after that. */
  log: Logger;
  /** Writes the held lines to the target logger, in order; later lines go straight through. */
  release(): void;
}

/**
 * Holds `target`'s lines until released. Timers measure when they run, not when released.
 *
 * @example
 * const held = holdLines(ctx.log);
 * const unpacked = unpackAhead(dep, held.log);   // runs while CPython installs
 * ...
 * held.release(); await unpacked;               // its lines now appear in the tool's step
 */
export function holdLines(target: Logger): HeldLogger {
  let queue: (() => void)[] | undefined = [];
  const method =
    <K extends Exclude<keyof Logger, "timer" | "isDebug">>(name: K) =>
    (text: string) => {
      if (queue) queue.push(() => target[name](text));
      else target[name](text);
    };
  return {
    log: {
      isDebug: target.isDebug,
      header: method("header"),
      step: method("step"),
      detail: method("detail"),
      debug: method("debug"),
      warn: method("warn"),
      error: method("error"),
      subprocess: method("subprocess"),
      timer: () => target.timer(),
    },
    release() {
      const held = queue ?? [];
      queue = undefined;
      for (const write of held) write();
    },
  };
}
