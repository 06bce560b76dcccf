/**
 * What the platform gives a buildpack and what a buildpack gives the launch: platform env,
 * target and execution environment, service bindings, env deltas, and exec.d programs.
 */
export * from "./bindings.js";
export * from "./env.js";
export * from "./exec-d.js";
export * from "../bundle/launched-bundle.js";
export * from "./platform.js";
export * from "./tool-env.js";
