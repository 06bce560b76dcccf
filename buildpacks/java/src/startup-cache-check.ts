/**
 * A startup cache (AOT cache or CDS archive) is written by one JVM build and maps only into
 * that one. Given another (a JRE changed under the image), the JVM prints four lines of its
 * own, three of them `[error]` ("The AOT cache was created by a different version or build of
 * HotSpot", "An error has occurred while processing the AOT cache...", "Loading static archive
 * failed.", "Unable to map shared spaces"), then starts without it. This POSIX sh exec.d program
 * compares the JVM's build (`java -Xinternalversion`, the string the cache's header records,
 * ~10 ms) with the one the training run used; when they differ it says so in one line and puts
 * the flag that turns the cache off into JAVA_TOOL_OPTIONS, which the JVM reads before the
 * start command's `-XX:AOTCache`: the JVM then starts plainly and silently. When they are the
 * same it prints nothing. Other mismatches (a truncated file, a user's flags) are left to the
 * JVM's own warning, as before. On a run image without a shell there is no exec.d, and the JVM
 * warns as it does.
 */

/** The exec.d program's name; its layer (`cds`) comes before the memory calculator's, which keeps what it adds. */
export const STARTUP_CACHE_CHECK_EXEC_D = "startup-cache-check";

/** Bump when the script changes, so the `cds` layer (which holds it) is written again. */
export const STARTUP_CACHE_CHECK_FORMAT = 1;

/** What the script is made of. */
export interface StartupCacheCheck {
  /** The cache's name in the warning ("AOT cache"). */
  label: string;
  /** `java -Xinternalversion` of the JVM that wrote the cache. */
  jvm: string;
  /** The flag that turns the cache off without a word (`-XX:AOTMode=off`, `-Xshare:off`). */
  off: string;
}

/** Quotes `s` for sh, in single quotes. */
const shQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * The script; it prints TOML on fd 3, the exec.d channel, only for another JVM.
 *
 * @example
 * startupCacheCheckScript({ label: "AOT cache", jvm: "OpenJDK 64-Bit Server VM (25.0.2+10-LTS) ...", off: "-XX:AOTMode=off" })
 */
export function startupCacheCheckScript(check: StartupCacheCheck): string {
  return `#!/bin/sh
# cnbkit/java exec.d: the ${check.label} maps only into the JVM build that wrote it; another one
# gets one line from here and ${check.off} in JAVA_TOOL_OPTIONS, instead of the JVM's four.
set -eu
wrote=${shQuote(check.jvm)}
java="\${JAVA_HOME:+$JAVA_HOME/bin/}java"
# The tool options are the app's: unset, the JVM neither applies nor announces them.
now=$( (unset JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS _JAVA_OPTIONS; exec "$java" -Xinternalversion) 2>/dev/null) || now=
[ "$now" != "$wrote" ] || exit 0
version() { v=\${1#*\\(}; printf '%s' "\${v%%\\)*}"; }
echo "cnbkit/java: the ${check.label} was written by Java $(version "$wrote") and this JVM is \${now:+Java }$(version "\${now:-another one}"), so the app starts without it; a new build writes one for this JVM" >&2
opts="\${JAVA_TOOL_OPTIONS:-}"
value="\${opts:+$opts }${check.off}"
escaped=$(printf '%s' "$value" | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g')
printf 'JAVA_TOOL_OPTIONS = "%s"\\n' "$escaped" >&3
`;
}
