/**
 * The build plan's shape: what detect writes (`[[provides]]`, `[[requires]]`, `[[or]]`
 * alternatives). Types only, so that the general writer (build-plan.ts) and detect's
 * line-by-line writer (build-plan-text.ts) can both name them without naming each other.
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
