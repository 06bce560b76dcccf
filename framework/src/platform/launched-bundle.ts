/**
 * How a buildpack runs on the shared Node.js runtime (the packager's default form): its
 * bin/detect and bin/build are POSIX sh launchers that run
 * `<runtime>/bin/node <buildpack>/lib/main.cjs <phase> <args...>`, and they move the
 * caller's NODE_OPTIONS aside first. A module of its own, with no imports, because the
 * entry point reads it before every detect.
 */

/** The bundle's file name on the shared runtime; the phase is the argument after it. */
export const LAUNCHED_BUNDLE = "main.cjs";

/** The variable the launchers keep NODE_OPTIONS in while the buildpack's own Node starts. */
export const SAVED_NODE_OPTIONS = "CNBKIT_SAVED_NODE_OPTIONS";
