/** Output held back while another platform's shows, then in one piece, then live. */
import { expect, test } from "vitest";
import { HeldOutput } from "./held-output.js";

test("lines wait until released, come out in order with their streams, then pass straight through", () => {
  const shown: string[] = [];
  const held = new HeldOutput((line, stream) => shown.push(`${stream}: ${line}`));
  held.take("===> linux/arm64 (2 of 2)", "stdout");
  held.take("warning: slow", "stderr");
  expect(shown).toEqual([]);
  held.release();
  held.take("===> EXPORTING", "stdout");
  held.release();
  expect(shown).toEqual(["stdout: ===> linux/arm64 (2 of 2)", "stderr: warning: slow", "stdout: ===> EXPORTING"]);
});
