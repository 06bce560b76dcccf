/**
 * How a buildpack runs on the shared Node.js runtime (the packager's default form): its
 * bin/detect and bin/build are POSIX sh launchers that run
 * `<runtime>/bin/node <buildpack>/lib/<phase> <args...>` (lib/detect and lib/build link to
 * the bundle, so the entry point still dispatches on the invoked name), and they move the
 * caller's NODE_OPTIONS aside first. A module of its own, with no imports, because the
 * entry point reads it before every detect.
 */

/**
 * The directory beside the bundle's loader (`lib/main.cjs`) that holds its chunks and their
 * V8 code caches: a program that copies the bundle (exec.d's `addSelf`) copies it too.
 */
export const BUNDLE_CHUNKS_DIR = "chunks";

/** The variable the launchers keep NODE_OPTIONS in while the buildpack's own Node starts. */
export const SAVED_NODE_OPTIONS = "CNBKIT_SAVED_NODE_OPTIONS";

/**
 * Where the packager leaves buildpack.toml parsed, beside the bundle, as JSON
 * `{ "text": <buildpack.toml as written>, "table": <its parsed table> }`: a detect reads it
 * instead of loading a TOML parser, and only when `text` is the buildpack.toml it finds
 * (so an edited buildpack.toml is still read as written).
 */
export const PARSED_BUILDPACK_TOML = "lib/buildpack.toml.json";

/**
 * Appended to the shared runtime's `bin/node` path, the target arch's Node when another one
 * runs the buildpack. A platform may run an emulated build's buildpacks on this machine's
 * Node (their code does not depend on the CPU; `CNB_TARGET_ARCH` says what they build for),
 * and then mounts the runtime's own Node here: exec.d's `addSelf` copies this one into the
 * layer, never the Node that happens to run it. Its presence in a bundle also tells the
 * platform that the bundle's framework knows this (an older one copied `process.execPath`).
 */
export const TARGET_NODE_SUFFIX = ".cnbkit-target-node";

/**
 * The directory exec.d's `addSelf` puts in a layer for a buildpack on the shared runtime: a
 * copy of its Node and its bundle. A bundle that names it may copy its Node into a layer,
 * which is what the platform looks for before running a bundle on another arch's Node.
 */
export const EXEC_D_RUNTIME_DIR = ".cnbkit-exec-d";
