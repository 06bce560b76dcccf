/**
 * A startup cache (AOT cache or CDS archive) is written by one JVM build and maps only into
 * that one, and only whole. Given another JVM (a JRE changed under the image), or a cache that
 * is not the file the training run wrote (truncated, changed or gone since), the JVM prints
 * lines of its own, four for another JVM, three of them `[error]` ("The AOT cache was created
 * by a different version or build of HotSpot", "An error has occurred while processing the AOT
 * cache...", "Loading static archive failed.", "Unable to map shared spaces"), then starts
 * without it. This POSIX sh exec.d program checks the two things it can learn for next to
 * nothing at each launch: the cache's size (from `ls -ln`, the directory entry; no read of a
 * 50+ MB file) against the one the training run wrote, then the JVM's build
 * (`java -Xinternalversion`, the string the cache's header records, ~10 ms) against the
 * training run's. When either differs it says so in one line and puts the flag that turns the
 * cache off into JAVA_TOOL_OPTIONS, which the JVM reads before the start command's
 * `-XX:AOTCache`: the JVM then starts plainly and silently. When both match it prints nothing.
 * A cache changed in place at the same size, or a user's flags the cache does not match, are
 * left to the JVM's own warning. A run image without a shell gets the same check from the
 * static jvm-helper (helper/cache.go), which reads the cache's path, size, JVM and off flag
 * from the `cds` layer's BPI_JVM_STARTUP_CACHE_* launch env.
 */

/** The exec.d program's name; its layer (`cds`) comes before the memory calculator's, which keeps what it adds. */
export const STARTUP_CACHE_CHECK_EXEC_D = "startup-cache-check";

/** Bump when the script changes, so the `cds` layer (which holds it) is written again. */
export const STARTUP_CACHE_CHECK_FORMAT = 2;

/** What the script is made of. */
export interface StartupCacheCheck {
  /** The cache's name in the warning ("AOT cache"). */
  label: string;
  /** `java -Xinternalversion` of the JVM that wrote the cache. */
  jvm: string;
  /** The cache file's path at launch (the layer's path is the same at build and at launch). */
  cache: string;
  /** The cache's size in bytes, as the training run wrote it. */
  size: number;
  /** The flag that turns the cache off without a word (`-XX:AOTMode=off`, `-Xshare:off`). */
  off: string;
}

/** Quotes `s` for sh, in single quotes. */
const shQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * The script; it prints TOML on fd 3, the exec.d channel, only when the cache will not map.
 *
 * @example
 * startupCacheCheckScript({ label: "AOT cache", jvm: "OpenJDK 64-Bit Server VM (25.0.2+10-LTS) ...", cache: "/layers/cnbkit_java/cds/application.aot", size: 52428800, off: "-XX:AOTMode=off" })
 */
export function startupCacheCheckScript(check: StartupCacheCheck): string {
  return `#!/bin/sh
# cnbkit/java exec.d: the ${check.label} maps only into the JVM build that wrote it, and only
# whole; another JVM, or a cache of another size, gets one line from here and ${check.off} in
# JAVA_TOOL_OPTIONS, instead of the JVM's own lines.
set -euf
cache=${shQuote(check.cache)}
size=${shQuote(String(check.size))}
wrote=${shQuote(check.jvm)}
off() {
  echo "cnbkit/java: the ${check.label} $1, so the app starts without it; a new build writes $2" >&2
  opts="\${JAVA_TOOL_OPTIONS:-}"
  value="\${opts:+$opts }${check.off}"
  escaped=$(printf '%s' "$value" | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g')
  printf 'JAVA_TOOL_OPTIONS = "%s"\\n' "$escaped" >&3
  exit 0
}
# The size is ls -l's fifth field (POSIX), from the directory entry: busybox's wc -c would
# read the whole file at every launch.
have=$(ls -ln "$cache" 2>/dev/null) || have=
if [ -n "$have" ]; then
  set -- $have
  have=$5
fi
[ -n "$have" ] || off "$cache is missing" "it again"
[ "$have" = "$size" ] || off "is $have bytes and its training run wrote $size (truncated or changed since)" "it again"
java="\${JAVA_HOME:+$JAVA_HOME/bin/}java"
# The tool options are the app's: unset, the JVM neither applies nor announces them.
now=$( (unset JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS _JAVA_OPTIONS; exec "$java" -Xinternalversion) 2>/dev/null) || now=
[ "$now" != "$wrote" ] || exit 0
version() { v=\${1#*\\(}; printf '%s' "\${v%%\\)*}"; }
off "was written by Java $(version "$wrote") and this JVM is \${now:+Java }$(version "\${now:-another one}")" "one for this JVM"
`;
}
