import { describe, expect, test, vi } from "vitest";
import { StallWatch } from "./registry-stall.js";

// The clock itself is timer-driven; these check the state a request reads, with fake time.

describe("StallWatch", () => {
  test("an armed attempt is aborted after ms without a byte, and the next arm starts clean", () => {
    vi.useFakeTimers();
    try {
      const watch = new StallWatch(1000);
      expect(watch.stalled).toBe(false);
      const signal = watch.arm();
      vi.advanceTimersByTime(999);
      watch.touch();
      vi.advanceTimersByTime(999);
      expect(signal.aborted).toBe(false);
      vi.advanceTimersByTime(1);
      expect(signal.aborted).toBe(true);
      expect(watch.stalled).toBe(true);
      expect(String(signal.reason)).toMatch(/no bytes for 1 s/);
      const next = watch.arm();
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
      const signal = watch.arm();
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
      const signal = watch.arm();
      vi.advanceTimersByTime(1e9);
      expect(signal.aborted).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
