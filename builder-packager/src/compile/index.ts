/**
 * The compile stage's public surface: a buildpack's source bundled by esbuild, run per
 * target arch either on the shared Node runtime buildpack or embedded in an official Node
 * binary (a single executable application), and the static Go helpers a buildpack ships
 * beside it.
 */
export {
  COMPILE_TARGETS,
  type CompiledTarget,
  type CompileForm,
  type CompileOptions,
  type CompileProgress,
  type CompileTarget,
  compileBuildpack,
} from "./compile.js";
export { elfMachine } from "./elf.js";
export { buildGoHelper, type GoArch, type GoHelperBinary, type GoHelperOptions } from "./go-helper.js";
export { ensureNodeRuntime, hostNodeArch, NODE_VERSION, type NodeArch, type NodeRuntime } from "./node-runtime.js";
export { checkRulesJson, type DetectRulesJson, describeDetectRules } from "./detect-rules.js";
export { type DetectScriptOptions, detectScript, shQuote } from "./detect-sh.js";
export { BUNDLE_PATH, launcherScript } from "./launcher.js";
export {
  ensureRuntimeModule,
  RUNTIME_MODULE_ID,
  RUNTIME_NODE_PATH,
  type RuntimeModule,
  runtimeBuildpackToml,
  runtimeModuleVersion,
} from "./runtime-module.js";
