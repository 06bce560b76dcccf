import { describe, expect, test, vi } from "vitest";
import { StallWatch } from "./registry-stall.js";

// The clock itself is timer-driven; these check the state a request reads, with fake time.

describe("StallWatch", () => {
  test("an armed attempt is aborted after ms without a byte, and the next arm starts clean", () => {
    vi.useFakeTimers();
    try {
      const watch = new StallWatch(1000);
      expect(watch.stalled).toBe(false);
      watch.arm();
      const signal = watch.signal;
      vi.advanceTimersByTime(999);
      watch.touch();
      vi.advanceTimersByTime(999);
      expect(signal.aborted).toBe(false);
      vi.advanceTimersByTime(1);
      expect(signal.aborted).toBe(true);
      expect(watch.stalled).toBe(true);
      expect(String(signal.reason)).toMatch(/no bytes for 1 s/);
      watch.arm();
      const next = watch.signal;
      expect(next.aborted).toBe(false);
      expect(watch.stalled).toBe(false);
      watch.pause();
      vi.advanceTimersByTime(5000);
      expect(next.aborted).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  test("a watch only touched (a body read without an armed request) still says it stalled", () => {
    vi.useFakeTimers();
    try {
      const watch = new StallWatch(500);
      watch.touch();
      vi.advanceTimersByTime(500);
      expect(watch.stalled).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  test("a clock touched before an arm does not abort the armed attempt", () => {
    vi.useFakeTimers();
    try {
      const watch = new StallWatch(500);
      watch.touch();
      vi.advanceTimersByTime(400);
      watch.arm();
      const signal = watch.signal;
      vi.advanceTimersByTime(400);
      expect(signal.aborted).toBe(false);
      vi.advanceTimersByTime(100);
      expect(signal.aborted).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  test("ms 0 never stalls", () => {
    vi.useFakeTimers();
    try {
      const watch = new StallWatch(0);
      watch.arm();
      const signal = watch.signal;
      vi.advanceTimersByTime(1e9);
      expect(signal.aborted).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  test("one shared clock: each running watch ends at its own deadline, a paused one never", () => {
    vi.useFakeTimers();
    try {
      const slow = new StallWatch(1000);
      const fast = new StallWatch(300);
      const idle = new StallWatch(100);
      const ended: string[] = [];
      slow.arm();
      slow.onStall((reason) => ended.push(`slow: ${reason.message}`));
      fast.arm();
      fast.onStall(() => ended.push("fast"));
      idle.arm();
      idle.pause();
      vi.advanceTimersByTime(299);
      expect(ended).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(ended).toEqual(["fast"]);
      vi.advanceTimersByTime(700);
      expect(ended).toEqual(["fast", "slow: no bytes for 1 s"]);
      expect(idle.stalled).toBe(false);
      // a stalled attempt's end is called at once when named late
      let late = false;
      fast.onStall(() => {
        late = true;
      });
      expect(late).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
