/**
 * The build plan a buildpack writes in detect (`<plan>` path, build plan TOML):
 * `[[provides]]`, `[[requires]]` and alternatives under `[[or]]`.
 */

/** `[[provides]]`. */
export interface Provide {
  name: string;
}

/** `[[requires]]`; `metadata` reaches the providing buildpack's build. */
export interface Require {
  name: string;
  metadata?: Record<string, unknown>;
}

/** One alternative of a build plan. */
export interface BuildPlan {
  provides: Provide[];
  requires: Require[];
}
