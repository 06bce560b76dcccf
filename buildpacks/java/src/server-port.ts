/**
 * The platform's port for the app's framework: a POSIX sh exec.d program that sets each of
 * its variables (SERVER_PORT, and QUARKUS_HTTP_PORT or MICRONAUT_SERVER_PORT: see
 * jvm-framework.ts) to $PORT (default 8080) unless that variable is already set. Frameworks
 * read environment variables before the config files inside the app, so an app that pins
 * `server.port=9000` (as Spring's own guides do) still listens where the platform routes
 * traffic; a variable given at launch wins.
 */

/** The exec.d program's name. */
export const SERVER_PORT_EXEC_D = "server-port";

/**
 * The script for `variables` (names of [A-Z_]+); it prints TOML on fd 3, the exec.d channel.
 *
 * @example
 * serverPortScript(["SERVER_PORT", "QUARKUS_HTTP_PORT"])
 */
export function serverPortScript(variables: readonly string[]): string {
  const lines = variables.map((v) => `[ -n "\${${v}:-}" ] || printf '${v} = "%s"\\n' "$port" >&3`);
  return `#!/bin/sh
# cnbkit/java exec.d: ${variables.join(", ")} from the platform's PORT (default 8080), each unless set.
set -eu
port="\${PORT:-8080}"
case "$port" in
  ''|*[!0-9]*) echo "cnbkit/java: PORT must be a port number such as 8080, not \\"$port\\"" >&2; exit 1 ;;
esac
${lines.join("\n")}
`;
}

/** The script for Spring Boot (SERVER_PORT only). */
export const SERVER_PORT_SCRIPT = serverPortScript(["SERVER_PORT"]);
