/**
 * The runtime helper: a POSIX sh exec.d program (the launcher runs it before the app) that
 * trusts CA certificates from `ca-certificates` bindings mounted into the running container.
 * A shell script, not the buildpack binary, so it adds a few hundred bytes to the image
 * instead of a Node runtime. It prints TOML on fd 3, the exec.d channel.
 */

/** The variables the buildpack points at its bundle: one per TLS stack that reads its own. */
export const TRUST_VARIABLES: readonly string[] = [
  "SSL_CERT_FILE", // OpenSSL: curl, git (OpenSSL builds), Python's ssl, Ruby
  "NODE_EXTRA_CA_CERTS", // Node.js and npm, which otherwise trust only Node's built-in roots
  "REQUESTS_CA_BUNDLE", // Python requests (and pip's vendored copy)
  "PIP_CERT", // pip
  "CURL_CA_BUNDLE", // curl, whatever its TLS backend
  "GIT_SSL_CAINFO", // git, including Debian's GnuTLS build, which ignores SSL_CERT_FILE
];

/** The exec.d program's file name. */
export const HELPER_NAME = "ca-cert-helper";

/** The script. `SERVICE_BINDING_ROOT` defaults to the CNB platform's `/platform/bindings`. */
export const HELPER_SCRIPT = `#!/bin/sh
# cnbkit ca-certificates runtime helper (exec.d): trusts the CA certificates of bindings of
# type ca-certificates by writing one bundle (the current trust plus the bindings' files)
# and pointing ${TRUST_VARIABLES.join(", ")} at it.
set -eu
root="\${SERVICE_BINDING_ROOT:-/platform/bindings}"
[ -d "$root" ] || exit 0
out=""
for dir in "$root"/*; do
  [ -f "$dir/type" ] || continue
  type=$(tr -d ' \\t\\r\\n' < "$dir/type" | tr 'A-Z' 'a-z')
  [ "$type" = "ca-certificates" ] || continue
  if [ -z "$out" ]; then
    out=$(mktemp -d "\${TMPDIR:-/tmp}/cnbkit-ca.XXXXXX")
    base="\${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
    if [ -f "$base" ]; then cat "$base" > "$out/ca-certificates.crt"; else : > "$out/ca-certificates.crt"; fi
  fi
  for file in "$dir"/*; do
    case "\${file##*/}" in type|provider) continue ;; esac
    [ -f "$file" ] || continue
    if ! grep -q -- "-----BEGIN CERTIFICATE-----" "$file"; then
      echo "ca-certificates: binding \${dir##*/} file \${file##*/} is not a PEM certificate; skipped" >&2
      continue
    fi
    { cat "$file"; echo; } >> "$out/ca-certificates.crt"
  done
done
[ -n "$out" ] || exit 0
for name in ${TRUST_VARIABLES.join(" ")}; do
  printf '%s = "%s"\\n' "$name" "$out/ca-certificates.crt"
done >&3
`;
