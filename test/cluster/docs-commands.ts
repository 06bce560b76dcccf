/**
 * Running a docs page's cluster blocks (docs-blocks.ts) against the suite's cluster, as a reader
 * would: line by line for the plain blocks (kubectl, skopeo, and what a test adds, such as
 * cnbkit), or whole in bash for the blocks that use the shell itself (`eval`, `$VARS`, `\`
 * continuations), with scripts/cluster.sh pointed at the test's cluster.
 */
import { spawnSync } from "node:child_process";
import type { DocsBlock } from "./docs-blocks.js";
import { shCommands } from "./docs-blocks.js";
import { type Cluster, kubectl } from "./support.js";

/** Runs one command of a block (its arguments after the command's name); throws when it fails. */
export type CommandRunner = (args: string[]) => Promise<void>;

/**
 * Runs the commands of sh `block` one by one: kubectl against the cluster, skopeo as it is, and
 * any command in `more` by its runner. A command the test has no runner for fails the test, so
 * the page cannot show a line that nothing ran.
 */
export async function runCommands(
  c: Cluster,
  block: DocsBlock,
  more: Record<string, CommandRunner> = {},
): Promise<void> {
  for (const [cmd, ...args] of shCommands(block)) {
    const runner = cmd ? more[cmd] : undefined;
    if (runner) await runner(args);
    else if (cmd === "kubectl") kubectl(c, args);
    else if (cmd === "skopeo") {
      const r = spawnSync("skopeo", args, { encoding: "utf8", timeout: 600_000 });
      if (r.status !== 0) throw new Error(`skopeo ${args.join(" ")} failed: ${r.stderr}`);
    } else throw new Error(`the docs' block runs ${cmd}, which this test does not`);
  }
}

/**
 * Runs sh `block` whole with `bash -eu` in `cwd`, in the environment that points
 * scripts/cluster.sh at cluster `c` (its state dir and ports), so `cluster.sh env` in the block
 * names this cluster. Returns its stdout; throws with both streams when it fails.
 */
export function runInBash(c: Cluster, block: DocsBlock, cwd: string, timeoutMs = 600_000): string {
  const r = spawnSync("bash", ["-euo", "pipefail", "-c", block.text], {
    cwd,
    env: c.env,
    encoding: "utf8",
    timeout: timeoutMs,
  });
  if (r.status !== 0) {
    throw new Error(
      `bash (${r.status ?? r.signal}) on:\n${block.text}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return r.stdout;
}
