/**
 * Which Node exec.d's `addSelf` copies into a layer (launched-bundle.ts's
 * TARGET_NODE_SUFFIX says why it may not be the one running). Not in the environment index:
 * only exec-d.ts and its test use it.
 */
import { existsSync } from "node:fs";
import { TARGET_NODE_SUFFIX } from "../bundle/launched-bundle.js";

/**
 * The Node the layer gets: the target arch's. That is the one running this, unless the
 * platform runs an emulated build's buildpacks on this machine's Node; then it mounted the
 * runtime's own beside it ({@link TARGET_NODE_SUFFIX}).
 *
 * @example
 * targetNode("/cnb/buildpacks/cnbkit_node-runtime/26.10.0/bin/node"); // ".../bin/node.cnbkit-target-node" when mounted
 */
export function targetNode(running: string = process.execPath): string {
  const target = `${running}${TARGET_NODE_SUFFIX}`;
  return existsSync(target) ? target : running;
}
