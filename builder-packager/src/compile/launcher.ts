/**
 * bin/detect and bin/build of a buildpack on the shared Node.js runtime: POSIX sh that
 * starts the runtime's Node on `lib/<phase>`, a link to the bundle `lib/main.cjs`. The
 * bundle sees the phase as the basename of `process.argv[1]`, as a single executable sees
 * its invoked name, so entries that dispatch on it (the framework's, or a hand-written
 * one) work in both forms.
 *
 * The runtime is found relative to the script, not at a fixed /cnb path: the lifecycle
 * runs `<buildpacks dir>/<id_>/<version>/bin/<phase>` by its full path, and the runtime
 * is a sibling buildpack in the same buildpacks dir (`CNB_BUILDPACKS_DIR` may move it).
 * No subprocess runs before Node: `${0%/*}` is parameter expansion.
 *
 * NODE_OPTIONS is moved aside (the framework puts it back for the tools the buildpack
 * runs): an app's `--require ./tracing.js` or heap cap is for the app, not the buildpack.
 * That is what the single executable's `execArgvExtension: "none"` did.
 */
import { SAVED_NODE_OPTIONS } from "@cnbkit/framework/packaging";
import { buildpackDirName } from "@cnbkit/framework/cnb-files";
import { RUNTIME_NODE_PATH } from "./runtime-module.js";

/** Where the bundle sits in the buildpack dir; `lib/detect` and `lib/build` link to it. */
export const BUNDLE_PATH = "lib/main.cjs";

/** What a launcher needs to know. */
export interface LauncherOptions {
  /** `detect` or `build`. */
  phase: "detect" | "build";
  /** The buildpack, for the message when the runtime is missing. */
  buildpack: { id: string; version: string };
  /** The runtime buildpack it runs on. */
  runtime: { id: string; version: string };
}

/**
 * The launcher's text. A missing runtime (a buildpack dir copied out of its buildpackage)
 * is an error (exit 1) that names the runtime and the fix.
 *
 * @example
 * launcherScript({ phase: "build", buildpack: { id: "acme/x", version: "1.0.0" }, runtime: { id: "cnbkit/node-runtime", version: "26.10.0" } })
 */
export function launcherScript(options: LauncherOptions): string {
  const { phase, buildpack, runtime } = options;
  const runtimeDir = `${buildpackDirName(runtime.id)}/${runtime.version}`;
  return [
    "#!/bin/sh",
    `# ${buildpack.id} ${buildpack.version}: runs lib/${phase} (${BUNDLE_PATH}) on the shared Node.js runtime,`,
    `# ${runtime.id} ${runtime.version}, a sibling buildpack in the same buildpacks dir.`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sh parameter expansion, not JS
    "case $0 in */*) bin=${0%/*} ;; *) bin=. ;; esac",
    `node=$bin/../../../${runtimeDir}/${RUNTIME_NODE_PATH}`,
    'if [ ! -x "$node" ]; then',
    `  echo "${buildpack.id}: the Node.js runtime ${runtime.id}@${runtime.version} is not at $node; package the buildpack with cnbkit package (it adds the runtime), or with --standalone for one file" >&2`,
    "  exit 1",
    "fi",
    `if [ -n "\${NODE_OPTIONS+x}" ]; then ${SAVED_NODE_OPTIONS}=$NODE_OPTIONS; export ${SAVED_NODE_OPTIONS}; unset NODE_OPTIONS; fi`,
    `exec "$node" "$bin/../lib/${phase}" "$@"`,
    "",
  ].join("\n");
}
