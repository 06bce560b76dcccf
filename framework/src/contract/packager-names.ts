/**
 * The packager's detect-rules names that the main entry's `lifecycle` namespace listed before
 * `@cnbkit/framework/packaging` existed, kept there (removing them would break a caller) but
 * deprecated. They are declarations of their own, not re-exports of detect-rules.ts's: the
 * deprecation must reach only those who name them through `lifecycle`, not the packaging
 * entry's callers, and API Extractor reports each entry from the declarations it reaches.
 */
import {
  type DetectCondition,
  type DetectRulesDefinition,
  detectRulesJson as packagerDetectRulesJson,
  isRuleDetect as packagerIsRuleDetect,
  type RuleDetect,
} from "./detect-rules.js";

/**
 * An outcome as the packager sees it: pass plans are build plan TOML text.
 *
 * @deprecated Packager-only: import `DetectOutcomeJson` from `@cnbkit/framework/packaging`.
 */
export type DetectOutcomeJson = { kind: "pass"; plan: string } | { kind: "fail"; reason: string } | { kind: "code" };

/**
 * The rules of a bundle as `CNBKIT_DESCRIBE=detect-rules` prints them.
 *
 * @deprecated Packager-only: import `DetectRulesJson` from `@cnbkit/framework/packaging`.
 */
export interface DetectRulesJson {
  /** The version of this shape; the packager refuses any other. */
  format: "cnbkit.detect-rules/1";
  /** The rules in order, conditions as declared. */
  rules: { when: DetectCondition; outcome: DetectOutcomeJson }[];
  /** The outcome when no rule holds. */
  otherwise: DetectOutcomeJson;
}

/**
 * True when `detect` was made by `detectRules`.
 *
 * @deprecated Packager-only: import `isRuleDetect` from `@cnbkit/framework/packaging`.
 */
export function isRuleDetect<M>(detect: unknown): detect is RuleDetect<M> {
  return packagerIsRuleDetect<M>(detect);
}

/**
 * The packager's view of the rules: conditions as declared, pass plans as TOML text.
 *
 * @deprecated Packager-only: import `detectRulesJson` from `@cnbkit/framework/packaging`.
 */
export function detectRulesJson<M>(rules: Readonly<DetectRulesDefinition<M>>): DetectRulesJson {
  return packagerDetectRulesJson(rules);
}
