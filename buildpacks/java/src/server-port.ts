/**
 * The platform's port for Spring Boot: a POSIX sh exec.d program that sets SERVER_PORT to
 * $PORT (default 8080) unless SERVER_PORT is already set. Spring Boot reads environment
 * variables before the application.properties inside the jar, so an app that pins
 * `server.port=9000` (as Spring's own guides do) still listens where the platform routes
 * traffic; a SERVER_PORT given at launch wins. Other JVM frameworks ignore the variable.
 */

/** The exec.d program's name. */
export const SERVER_PORT_EXEC_D = "server-port";

/** The script; it prints TOML on fd 3, the exec.d channel. */
export const SERVER_PORT_SCRIPT = `#!/bin/sh
# cnbkit/java exec.d: Spring Boot's SERVER_PORT from the platform's PORT (default 8080).
set -eu
[ -z "\${SERVER_PORT:-}" ] || exit 0
port="\${PORT:-8080}"
case "$port" in
  ''|*[!0-9]*) echo "cnbkit/java: PORT must be a port number such as 8080, not \\"$port\\"" >&2; exit 1 ;;
esac
printf 'SERVER_PORT = "%s"\\n' "$port" >&3
`;
