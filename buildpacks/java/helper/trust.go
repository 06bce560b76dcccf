package main

import (
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// trustStore stands in for src/trust-store.ts's sh script. cnbkit/ca-certificates points
// SSL_CERT_FILE at a bundle holding the system's certificates plus its bindings'; the JVM
// reads neither, only its own truststore. So when that bundle has certificates the system
// bundle lacks, this copies the JRE's lib/security/cacerts into a fresh temp dir, imports
// each of them there with the JRE's keytool, and adds -Djavax.net.ssl.trustStore=<that copy>
// to opts. Only the extra certificates: keytool is one JVM start (~0.5 s) per certificate.
// An error is the one line the script would stop with; the temp dir is then removed.
func trustStore(opts string) (string, error) {
	bundle := os.Getenv("SSL_CERT_FILE")
	system := env("CNB_JAVA_SYSTEM_BUNDLE", "/etc/ssl/certs/ca-certificates.crt") // tests replace it
	// The script's early exits: nothing to add, or the user chose a truststore already.
	if bundle == "" || bundle == system || strings.Contains(opts, "-Djavax.net.ssl.trustStore=") {
		return opts, nil
	}
	if info, err := os.Stat(bundle); err != nil || !info.Mode().IsRegular() {
		return opts, nil
	}
	text, err := os.ReadFile(bundle)
	if err != nil {
		return "", fmt.Errorf("SSL_CERT_FILE %s cannot be read (%v), so its CA certificates cannot join the JRE's truststore; make it readable or unset SSL_CERT_FILE", bundle, err)
	}
	// A missing system bundle is an empty one, as the script's /dev/null: all are extra.
	known, _ := os.ReadFile(system)
	extra := extraCertificates(known, text)
	if len(extra) == 0 {
		return opts, nil
	}

	home := os.Getenv("JAVA_HOME")
	if home == "" {
		return "", fmt.Errorf("JAVA_HOME is not set, so the CA certificates of SSL_CERT_FILE %s cannot join the JRE's truststore; set it to the JRE, or unset SSL_CERT_FILE", bundle)
	}
	out, err := os.MkdirTemp(env("TMPDIR", "/tmp"), "cnbkit-java-trust.*")
	if err != nil {
		return "", fmt.Errorf("no temp dir for the JRE's truststore with SSL_CERT_FILE's CA certificates (%v); set TMPDIR to a writable dir", err)
	}
	store := filepath.Join(out, "cacerts")
	if err := copyStore(filepath.Join(home, "lib", "security", "cacerts"), store); err != nil {
		os.RemoveAll(out)
		return "", fmt.Errorf("the JRE's truststore cannot be copied (%v), so the CA certificates of SSL_CERT_FILE %s cannot join it; unset SSL_CERT_FILE to start without them", err, bundle)
	}
	for i, der := range extra {
		n := strconv.Itoa(i + 1)
		// keytool reads a file; the PEM goes in the private temp dir and out again at once.
		pemFile := filepath.Join(out, "extra-"+n+".pem")
		err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
		if err == nil {
			// Exec'd directly, no shell; its output is dropped as the script's >/dev/null 2>&1,
			// and a certificate it refuses costs that certificate only.
			err = jvmTool(home, "keytool", "-importcert", "-noprompt", "-alias", "cnbkit-ca-"+n,
				"-file", pemFile, "-keystore", store, "-storepass", "changeit").Run()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "cnbkit/java: could not add certificate %s of %s to the JRE's truststore; skipped\n", n, bundle)
		}
		os.Remove(pemFile)
	}
	// The script's count: the extra certificates found, a skipped one included.
	fmt.Fprintf(os.Stderr, "Added %d CA certificate(s) from %s to the JRE's truststore\n", len(extra), bundle)
	return join(opts, "-Djavax.net.ssl.trustStore="+store), nil
}

// extraCertificates is the DER of each CERTIFICATE block of bundle that system lacks, once
// each, in the bundle's order. The script compares the PEM text of the blocks; comparing
// their DER is stricter-correct: the same certificate wrapped at another width or with CRLF
// line ends is still the same certificate, and is not imported twice.
func extraCertificates(system, bundle []byte) [][]byte {
	seen := map[string]bool{}
	for _, der := range certificates(system) {
		seen[string(der)] = true
	}
	var extra [][]byte
	for _, der := range certificates(bundle) {
		if !seen[string(der)] {
			seen[string(der)] = true
			extra = append(extra, der)
		}
	}
	return extra
}

// certificates is the DER of each PEM CERTIFICATE block in text. Other blocks (keys,
// TRUSTED CERTIFICATE) are passed over as the script's awk does; pem.Decode also passes over a
// block it cannot decode, which the script would hand to keytool to refuse.
func certificates(text []byte) [][]byte {
	var all [][]byte
	for {
		block, rest := pem.Decode(text)
		if block == nil {
			return all
		}
		if block.Type == "CERTIFICATE" {
			all = append(all, block.Bytes)
		}
		text = rest
	}
}

// copyStore copies the JRE's cacerts to to, writable by its owner (keytool rewrites it;
// the JRE's own file may be read-only, as the script's cp then chmod u+w).
func copyStore(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}
