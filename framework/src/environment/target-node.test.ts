/** exec.d's own Node is the target arch's, even when another Node runs the buildpack. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { TARGET_NODE_SUFFIX } from "../bundle/launched-bundle.js";
import { targetNode } from "./target-node.js";

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-target-node-"));
  await writeFile(join(dir, "node"), "the Node running the buildpack");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("the running Node is the target's when the platform mounted none beside it", () => {
  expect(targetNode(join(dir, "node"))).toBe(join(dir, "node"));
});

test("a Node mounted beside the running one is the target's, and is the one copied", async () => {
  await writeFile(join(dir, `node${TARGET_NODE_SUFFIX}`), "the runtime's own Node, of the target arch");
  expect(targetNode(join(dir, "node"))).toBe(join(dir, "node.cnbkit-target-node"));
});
