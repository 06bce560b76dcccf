/**
 * Which Node.js runtimes may replace the one in an image without a rebuild
 * (`cnbkit fleet patch`): a newer release of the same major. Node.js changes
 * NODE_MODULE_VERSION, the ABI native addons are built against, only between majors, so an
 * addon in node_modules compiled for 24.11.0 loads in 24.11.1. Nothing else in the image is
 * made from the exact runtime build: npm and JavaScript need only the major's APIs.
 */
import type { PatchRule } from "@cnbkit/framework/dependencies";

/** The Node.js runtime layer's patch rule. */
export const NODE_PATCH_RULE: PatchRule = {
  same: "major",
  why: "NODE_MODULE_VERSION (the native-addon ABI) is fixed within a major",
  derived: [
    {
      what: "native addons in node_modules (*.node)",
      action: "keep",
      why: "built against NODE_MODULE_VERSION, which the major fixes",
    },
  ],
};
