/**
 * A dependency whose install script (a native addon's compile) failed: which package, the
 * compiler's own error lines, and what to do. Yarn 2+ keeps a failed build's output in a log
 * file (`couldn't be built successfully (…, logs can be found here: /tmp/xfs-…/build.log)`)
 * that lives in the build container and is gone with it, so the buildpack reads it while it
 * still can; npm prints the script's output itself, but its error line is `path …`. Pure: the
 * caller reads the log file.
 */

/** A dependency build that failed, as the package manager reported it. */
export interface NativeBuildFailure {
  /** The package as `name@version` (`better-sqlite3@11.7.0`). */
  pkg: string;
  /** Yarn's build log of it, when Yarn wrote one. */
  logPath?: string;
}

/** Error lines of a build log shown at most: enough for the first compiler errors. */
export const MAX_ERROR_LINES = 30;

// Yarn prints `➤ YN0009: │ better-sqlite3@npm:11.7.0 couldn't be built successfully (exit
// code 1, logs can be found here: /tmp/xfs-471b4e06/build.log)`.
const YARN_BUILD_FAILED =
  /YN0009: [│|]? *(.+?) couldn't be built successfully \(exit code \d+, logs can be found here: (.+?)\)\s*$/;
// npm names the package's directory, then says its script failed: `npm error path
// /workspace/node_modules/better-sqlite3`, `npm error command failed` (npm 7-9: `npm ERR!`).
// A file: dependency's path is its own directory, so node-gyp's `$npm_package_name` is
// better when it is there.
const NPM_SCRIPT_PATH = /^npm (?:ERR!|error) path (\S+)\s*$/;
const NPM_COMMAND_FAILED = /^npm (?:ERR!|error) command failed/;
const GYP_PACKAGE = /gyp ERR! \$npm_package_name (\S+)/;

/** Removes ANSI colour codes, which Yarn prints when it thinks it has a terminal. */
function plain(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}

/**
 * A Yarn locator as a user writes the package: `better-sqlite3@npm:11.7.0` → `better-sqlite3@11.7.0`,
 * `hello-native@file:./native#./native::hash=…&locator=…` → `hello-native@file:./native`.
 */
function packageName(locator: string): string {
  return locator
    .replace(/::.*$/, "")
    .replace(/#.*$/, "")
    .replace(/@npm:(?=[^@]*$)/, "@");
}

/**
 * The dependency builds a package manager's output says failed: Yarn's `YN0009` lines (with
 * their log files), or npm's failed install script (`npm error path …/node_modules/<name>`
 * followed by `npm error command sh -c …`).
 *
 * @example
 * buildFailures("➤ YN0009: │ bcrypt@npm:5.1.1 couldn't be built successfully (exit code 1, logs can be found here: /tmp/xfs-1/build.log)")
 * // [{ pkg: "bcrypt@5.1.1", logPath: "/tmp/xfs-1/build.log" }]
 */
export function buildFailures(output: string): NativeBuildFailure[] {
  const lines = plain(output).split(/\r?\n/);
  const failures: NativeBuildFailure[] = [];
  for (const l of lines) {
    const m = YARN_BUILD_FAILED.exec(l);
    if (m) failures.push({ pkg: packageName(m[1]!.trim()), logPath: m[2]!.trim() });
  }
  if (failures.length > 0) return failures;
  for (let i = 0; i < lines.length; i++) {
    const m = NPM_SCRIPT_PATH.exec(lines[i]!.trim());
    if (!m || !NPM_COMMAND_FAILED.test(lines[i + 1]?.trim() ?? "")) continue;
    const gyp = GYP_PACKAGE.exec(lines.slice(i).join("\n"))?.[1];
    const dir = /\/node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(m[1]!)?.[1] ?? m[1]!.split("/").pop()!;
    return [{ pkg: gyp ?? dir }];
  }
  return [];
}

/** Lines of a failed addon build that say why: the compiler's, make's, node-gyp's, the script's. */
const TELLING = [
  /\b(?:fatal )?error: /i, // gcc/clang "file.cpp:12:3: error: …", Python/Node "Error: …"
  // node-gyp's own verdict, not its report of where it ran (System, command, cwd, versions).
  /^gyp ERR! (?!stack\s+at |System |command |cwd |node -v |node-gyp -v |\$npm_package_|\s*$)/,
  /make(?:\[\d+\])?: \*\*\*/,
  /\b(?:not found|No such file or directory)\b.*\b(?:python3?|make|g\+\+|cc|gcc)\b/,
  /prebuild-install (?:warn|WARN|ERR!)/,
  /^sharp: (?:Installation error|Downloading)/,
  /node-pre-gyp (?:WARN|ERR!)/,
];

/**
 * The telling lines of a build log (or npm's output), in order, without repeats, at most
 * `max`; a last line counts what was left out.
 *
 * @example
 * errorLines("gyp info ok\n../src/a.cpp:1:2: error: no member named 'x'\nmake: *** [a.o] Error 1")
 * // ["../src/a.cpp:1:2: error: no member named 'x'", "make: *** [a.o] Error 1"]
 */
export function errorLines(log: string, max = MAX_ERROR_LINES): string[] {
  const seen = new Set<string>();
  const picked: string[] = [];
  for (const raw of plain(log).split(/\r?\n/)) {
    const l = raw.replace(/^npm (?:ERR!|error) /, "").trimEnd();
    if (!l.trim() || seen.has(l) || !TELLING.some((re) => re.test(l))) continue;
    seen.add(l);
    picked.push(l);
  }
  if (picked.length <= max) return picked;
  return [...picked.slice(0, max), `… ${picked.length - max} more error lines`];
}

/**
 * A prebuilt-binary download that failed: `prebuild-install warn install getaddrinfo ENOTFOUND
 * github.com`, or sharp 0.32's libvips (`sharp: Installation error: getaddrinfo ENOTFOUND github.com`).
 */
const DOWNLOAD_FAILED =
  /(?:prebuild-install (?:warn|WARN|ERR!)|node-pre-gyp (?:WARN|ERR!)|sharp: Installation error:) .*?\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET)\b ?([\w.-]*)/;

/**
 * The one line of what went wrong with `failure`'s build and the hint with the likely fix, read
 * from its log (or npm's output), given the Node.js version it was built for.
 *
 * @example
 * explainFailure({ pkg: "better-sqlite3@11.7.0" }, "prebuild-install warn install getaddrinfo ENOTFOUND github.com\n…: error: …", "24.21.0").line
 * // "better-sqlite3@11.7.0 could not be built: no prebuilt binary could be downloaded (github.com: ENOTFOUND), and its C/C++ sources do not compile against Node.js 24.21.0"
 */
export function explainFailure(
  failure: NativeBuildFailure,
  log: string,
  nodeVersion: string,
): { line: string; hint: string } {
  const text = plain(log);
  const pkg = failure.pkg;
  const name = pkg.replace(/(?<=.)@[^@]*$/, "");
  const download = DOWNLOAD_FAILED.exec(text);
  const noPrebuilt = download
    ? `no prebuilt binary could be downloaded (${download[2] || "its download site"}: ${download[1]}), and `
    : "";
  // sharp before 0.33 fetches libvips from GitHub at install; 0.33+ gets it from the npm registry.
  if (name === "sharp" && download && /sharp: (?:Installation error|Downloading)/.test(text)) {
    return {
      line: `${pkg} could not be installed: its install script downloads libvips from ${download[2] || "github.com"}, which failed (${download[1]})`,
      hint: 'Depend on sharp >= 0.33 (its libvips comes from the npm registry: "sharp": "^0.33.5"), or point npm_config_sharp_libvips_binary_host at a mirror of the sharp-libvips releases.',
    };
  }
  if (/gyp ERR! find Python|python3?: (?:command )?not found|Could not find any Python/.test(text)) {
    return {
      line: `${pkg} could not be built: ${noPrebuilt}node-gyp found no Python to compile it with`,
      hint: "Build with a builder whose build image has python3, make and g++, or depend on a version of it that ships a prebuilt binary as an npm package.",
    };
  }
  if (/(?:make|g\+\+|gcc|cc|c\+\+): (?:command )?not found|not found: (?:make|g\+\+)/.test(text)) {
    return {
      line: `${pkg} could not be built: ${noPrebuilt}the build image has no C/C++ compiler or make`,
      hint: "Build with a builder whose build image has python3, make and g++, or depend on a version of it that ships a prebuilt binary as an npm package.",
    };
  }
  if (/:\d+:\d+: (?:fatal )?error: /.test(text)) {
    return {
      line: `${pkg} could not be built: ${noPrebuilt}its C/C++ sources do not compile against Node.js ${nodeVersion}`,
      hint: `Pick a Node.js version ${pkg} supports (engines.node or BP_NODE_VERSION), or a release of ${name} made for Node.js ${nodeVersion.split(".")[0]}.`,
    };
  }
  return {
    line: `${pkg} could not be built: ${noPrebuilt}its install script failed`,
    hint: `Its own error lines are above${failure.logPath ? ` (from ${failure.logPath})` : ""}.`,
  };
}
