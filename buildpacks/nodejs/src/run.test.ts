import { createLogger } from "@cnbkit/framework/log";
import { expect, test } from "vitest";
import { runTool } from "./run.js";

function capture() {
  const lines: string[] = [];
  const log = createLogger({ sink: (l: string) => lines.push(l), color: false });
  return { lines, log };
}

test("lines a tool repeats per package are shown once, then counted", async () => {
  const { lines, log } = capture();
  const script = 'for i in 1 2 3 4; do echo "YN0013: pkg$i fetched"; done; echo "YN0000: Done"';
  await runTool(["sh", "-c", script], { cwd: "/", env: { PATH: process.env.PATH }, log, fold: /YN0013:/ });
  const text = lines.join("\n");
  expect(text).toContain("YN0013: pkg1 fetched");
  expect(text).not.toContain("pkg2");
  expect(text).toContain('(3 more "YN0013:" lines not shown)');
  expect(text).toContain("YN0000: Done");
});

test("a conditional hint is given only when the output says so", async () => {
  const opts = {
    cwd: "/",
    env: { PATH: process.env.PATH },
    log: capture().log,
    hint: "commit the lockfile",
    hintWhen: /out of sync/,
  };
  const unrelated = await runTool(["sh", "-c", "echo boom >&2; exit 2"], opts).catch((e) => e);
  expect(unrelated.message).toBe('"sh -c echo boom >&2; exit 2" failed (exit 2)');
  expect(unrelated.hint).toBeUndefined();
  const sync = await runTool(["sh", "-c", "echo 'lockfile out of sync'; exit 1"], opts).catch((e) => e);
  expect(sync.hint).toBe("commit the lockfile");
});
