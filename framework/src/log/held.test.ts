import { describe, expect, test } from "vitest";
import { holdLines } from "./held.js";
import { createLogger } from "./logger.js";

describe("holdLines", () => {
  test("holds lines until released, then writes them in order and passes later ones through", () => {
    const out: string[] = [];
    const target = createLogger({ sink: (l) => out.push(l), color: false, env: {} });
    const held = holdLines(target);
    held.log.detail("Downloading uv 0.13.9");
    held.log.warn("slow mirror");
    target.step("CPython runtime");
    expect(out).toEqual(["  CPython runtime"]);
    held.release();
    held.log.detail("after");
    expect(out).toEqual(["  CPython runtime", "    Downloading uv 0.13.9", "  Warning: slow mirror", "    after"]);
  });

  test("debug lines keep the target's level", () => {
    const out: string[] = [];
    const held = holdLines(createLogger({ sink: (l) => out.push(l), color: false, env: {} }));
    held.log.debug("hidden");
    held.release();
    expect(out).toEqual([]);
    expect(held.log.isDebug).toBe(false);
  });
});
