/**
 * The compile stage's public surface: a buildpack's source bundled by esbuild and injected
 * into an official Node binary per target arch (a single executable application).
 */
export {
  COMPILE_TARGETS,
  type CompiledTarget,
  type CompileOptions,
  type CompileProgress,
  type CompileTarget,
  compileBuildpack,
} from "./compile.js";
export { elfMachine } from "./elf.js";
export { ensureNodeRuntime, hostNodeArch, NODE_VERSION, type NodeArch, type NodeRuntime } from "./node-runtime.js";
export { checkRulesJson, type DetectRulesJson, describeDetectRules } from "./detect-rules.js";
export { type DetectScriptOptions, detectScript, shQuote } from "./detect-sh.js";
