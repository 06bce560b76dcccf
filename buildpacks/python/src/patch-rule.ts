/**
 * Which CPython runtimes may replace the one in an image without a rebuild
 * (`cnbkit fleet patch`): a newer release of the same minor. CPython keeps its C ABI
 * (extension modules tagged cp313) and its bytecode magic number (`.pyc` files under
 * `__pycache__/*.cpython-313.pyc`) for a whole minor, so the packages layer built for 3.13.2
 * runs, bytecode and all, on 3.13.5. The stdlib's own bytecode is compiled inside the
 * runtime layer, so it comes with the new layer.
 */
import type { PatchRule } from "@cnbkit/framework/dependencies";

/** The CPython runtime layer's patch rule. */
export const CPYTHON_PATCH_RULE: PatchRule = {
  same: "minor",
  why: "the C ABI and the .pyc magic number are fixed within a minor",
  derived: [
    {
      what: "compiled bytecode and extension modules of the app's packages",
      action: "keep",
      why: "keyed by the minor (cpython-3XX, cp3XX), which the rule fixes",
    },
  ],
};
