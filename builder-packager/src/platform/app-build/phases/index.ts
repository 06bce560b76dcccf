/**
 * Phase-by-phase builds: the lifecycle's analyzer, detector, restorer, builder and exporter,
 * each in a container of its own, for builders that are not trusted (pack's untrusted flow)
 * and to run the flags kpack's and Tekton's builds pass. The containers themselves are set
 * up by ../run-lifecycle.ts, as it sets up the creator's.
 */
export {
  atLeast,
  checkPlatformApi,
  defaultPlatformApi,
  FLAG_SET_NAMES,
  type FlagSetName,
  type PhaseCommand,
  type PhaseInputs,
  parseFlagSet,
  phaseCommands,
} from "./flag-sets.js";
export { PHASE_ORDER, PHASES, type Phase, type PhaseFacts } from "./phase.js";
export { type PhaseEnvInputs, phaseEnv, phaseMounts, registryAuthJson } from "./phase-container.js";
export { type PhasesResult, runPhases } from "./run-phases.js";
export {
  KNOWN_TRUSTED_BUILDERS,
  type LifecycleMode,
  lifecycleMode,
  modeLine,
  type TrustRequest,
  withExtensions,
} from "./trust.js";
