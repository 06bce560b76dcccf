/**
 * Running a build's tools (package managers, compilers, build scripts): their output comes
 * back line by line as it is printed, so a buildpack can stream it into the build log and pick
 * out the line that says what went wrong, and decide itself what a failure means.
 */
export * from "./run-streaming.js";
export * from "./run-tool.js";
export { shellWords } from "./shell-words.js";
// The types this entry's signatures use, so a caller can name them from here.
export type { CnbError } from "../errors/index.js";
export type { Logger } from "../log/index.js";
export type { ToolEnv } from "../environment/tool-env.js";
