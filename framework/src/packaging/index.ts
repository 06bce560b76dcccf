/**
 * `@cnbkit/framework/packaging`: what the packager (`cnbkit package`) and a packaged
 * buildpack agree on, and no buildpack author needs: the layout of a bundled buildpack
 * (its chunks directory, the parsed copy of buildpack.toml), the variable its launcher saves
 * NODE_OPTIONS in, and the JSON form of a buildpack's detect rules that its `bin/detect`
 * shell script evaluates; and the binding through which a multi-platform build shares
 * arch-neutral layers between its platforms' builds.
 */
export {
  BUNDLE_CHUNKS_DIR,
  EXEC_D_RUNTIME_DIR,
  PARSED_BUILDPACK_TOML,
  SAVED_NODE_OPTIONS,
  TARGET_NODE_SUFFIX,
} from "../bundle/launched-bundle.js";
export { detectRulesJson, isRuleDetect } from "../contract/detect-rules.js";
export type { DetectCondition, DetectOutcomeJson, DetectRulesJson, RuleDetect } from "../contract/detect-rules.js";
export { formatError } from "../errors/index.js";
export {
  ARCH_NEUTRAL_BINDING_TYPE,
  ARCH_NEUTRAL_OUTPUTS_DIR,
  ARCH_NEUTRAL_PRODUCING,
  type ArchNeutralRole,
  writeArchNeutralBinding,
} from "../layers/arch-neutral-binding.js";
// The types this entry's signatures use (and theirs) are the main entry's: reachable from
// here too, as `framework.<Type>`, so the packager can name them without a second import.
export type * as framework from "../index.js";
