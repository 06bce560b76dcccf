/**
 * Which CPython runtimes may replace the one in an image without a rebuild
 * (`cnbkit fleet patch`): a newer release of the same minor. CPython keeps its C ABI
 * (extension modules tagged cp313) and its bytecode magic number (`.pyc` files under
 * `__pycache__/*.cpython-313.pyc`) for a whole minor, so the packages layer built for 3.13.2
 * runs, bytecode and all, on 3.13.5. The stdlib's own bytecode is compiled inside the
 * runtime layer, so it comes with the new layer. The venv is made by the exact release's
 * `venv` module and names it in three places a patch leaves as they were: pyvenv.cfg's
 * `version` line (informational: CPython finds itself through `home`, the same path), the
 * shell activate scripts (templates that change in patch releases: 3.13.18's add `|| true` to
 * `hash -r`; the launched process never sources them, VIRTUAL_ENV and PATH come from the
 * layer's env), and the venv layer's cache key, which a later build compares and so installs
 * the venv once more. So a patched Python image differs from a fresh build on the newer
 * release in its venv layer and its lifecycle label, and nowhere else (seen on python-hello,
 * 3.13.5 → 3.13.18, by test/long/fleet-patch-python-java.test.ts).
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
    {
      what: "the venv's pyvenv.cfg version, activate scripts and cache key, made by the old release",
      action: "keep",
      why: "informational (CPython finds itself through pyvenv.cfg's home, an unchanged path); the next build remakes the venv",
    },
  ],
};
