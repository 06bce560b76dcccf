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
export * from "./platform.js";
export * from "./tool-env.js";
// The bundle layout's names were re-exported here (the main entry's `platform` namespace) when
// they lived beside exec.d; they are the packager's, so authors meet them only as deprecated.
// The literal types are checked against bundle/launched-bundle.ts by the assignments.
import * as bundle from "../bundle/launched-bundle.js";
/**
 * The bundle's chunks directory, beside its loader.
 * @deprecated The packager's, not a buildpack author's: import it from `@cnbkit/framework/packaging`.
 */
export const BUNDLE_CHUNKS_DIR: "chunks" = bundle.BUNDLE_CHUNKS_DIR;
/**
 * The variable the launchers keep NODE_OPTIONS in.
 * @deprecated The packager's, not a buildpack author's: import it from `@cnbkit/framework/packaging`.
 */
export const SAVED_NODE_OPTIONS: "CNBKIT_SAVED_NODE_OPTIONS" = bundle.SAVED_NODE_OPTIONS;
/**
 * Where the packager leaves buildpack.toml parsed.
 * @deprecated The packager's, not a buildpack author's: import it from `@cnbkit/framework/packaging`.
 */
export const PARSED_BUILDPACK_TOML: "lib/buildpack.toml.json" = bundle.PARSED_BUILDPACK_TOML;
