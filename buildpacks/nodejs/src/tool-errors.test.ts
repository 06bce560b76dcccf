import { createLogger } from "@cnbkit/framework/log";
import { runTool } from "@cnbkit/framework/process";
import { expect, test } from "vitest";
import { errorLine, explainNodeTool } from "./tool-errors.js";

test("the telling line of npm's, yarn's and pnpm's failures", () => {
  expect(errorLine("npm error code ERESOLVE\nnpm error ERESOLVE unable to resolve dependency tree\n")).toBe(
    "ERESOLVE unable to resolve dependency tree",
  );
  expect(errorLine('error An unexpected error occurred: "x".\ninfo Visit')).toBe('An unexpected error occurred: "x".');
  expect(errorLine(" ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with frozen-lockfile")).toBe(
    "Cannot install with frozen-lockfile",
  );
  expect(errorLine("all fine\n")).toBeUndefined();
});

test("runTool with explainNodeTool names npm's error, not its last line", async () => {
  const log = createLogger({ sink: () => {}, color: false });
  const script =
    "echo 'npm error code E404'; echo 'npm error 404 Not Found - GET x'; echo 'npm error A complete log'; exit 1";
  const err = await runTool(["sh", "-c", script], {
    cwd: "/",
    env: { PATH: process.env.PATH },
    log,
    explain: explainNodeTool,
  }).catch((e: Error) => e);
  expect((err as Error).message).toBe(`"sh -c ${script}" failed (exit 1): 404 Not Found - GET x`);
});
