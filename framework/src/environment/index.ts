/**
 * The environment a buildpack runs in and the one it gives the launch: what the platform
 * gives (`<platform>/env/`, target, execution environment, service bindings, settings) and
 * env deltas and exec.d programs. Named environment/, not platform/: "platform" is also the
 * packager's build stage and an image's os/arch. Its types stay the main entry's `platform`
 * namespace.
 */
export * from "./bindings.js";
export * from "./env.js";
export * from "./exec-d.js";
export * from "../bundle/launched-bundle.js";
export * from "./platform.js";
export * from "./tool-env.js";
