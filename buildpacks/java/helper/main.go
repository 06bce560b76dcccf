// Command jvm-helper is cnbkit/java's exec.d program for run images without a shell
// (BP_RUN_IMAGE_SHELL=false, cnbkit's tiny run image): the launcher runs it before the app
// and reads JAVA_TOOL_OPTIONS back as TOML on fd 3, as it does the POSIX sh helpers it
// stands in for there. It does what those that touch JAVA_TOOL_OPTIONS do, in the order the
// launcher runs them (by layer, cds, jvm_helpers then jvm_memory, then by exec.d name), each
// seeing the options the ones before it left:
//   - the startup cache check (src/startup-cache-check.ts's script), when the cds layer
//     names a cache in BPI_JVM_STARTUP_CACHE_*;
//   - the CA truststore for SSL_CERT_FILE's extra certificates (src/trust-store.ts's
//     TRUST_STORE_SCRIPT, jvm_helpers' ca-trust-store), imported with the JRE's keytool;
//   - the JDWP agent for BPL_DEBUG_* (src/debug-agent.ts's DEBUG_AGENT_SCRIPT, debug-agent);
//   - the memory calculator (src/memory-calculator.ts's MEMORY_CALCULATOR_SCRIPT, Paketo
//     libjvm's formula).
//
// jvm_helpers' third script, server-port, has no stand-in: the port variables are
// placeholders the app resolves (src/steps/add-shell-free-launch.ts).
//
// Inputs, stderr lines and exit codes are the scripts'; memory-calculator.test.ts runs both
// over the same fake cgroup files and compares, launch-helpers.test.ts has both truststores
// trusted over TLS. The standard library only, so the packager builds it with nothing but
// `go` (CGO_ENABLED=0: static, it runs on any base image).
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	// The startup cache check first: in the sh images its layer (cds) runs before the others.
	opts := startupCacheCheck(os.Getenv("JAVA_TOOL_OPTIONS"))
	// Then jvm_helpers' programs in name order: ca-trust-store, then debug-agent.
	opts, err := trustStore(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cnbkit/java: %v\n", err)
		os.Exit(1)
	}
	opts, err = debugAgent(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cnbkit/java: %v\n", err)
		os.Exit(1)
	}
	opts, err = memoryCalculator(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cnbkit/java memory calculator: %v\n", err)
		os.Exit(1)
	}
	// fd 3 is the exec.d channel; the launcher opens it for every exec.d program.
	out := os.NewFile(3, "exec.d")
	if _, err := fmt.Fprintf(out, "JAVA_TOOL_OPTIONS = %s\n", tomlString(opts)); err != nil {
		fmt.Fprintf(os.Stderr, "cnbkit/java: writing to fd 3 (the exec.d channel): %v\n", err)
		os.Exit(1)
	}
}

// env is os.Getenv with the sh scripts' `${NAME:-default}`: an empty value is unset.
func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// tomlString quotes s as a TOML basic string. The scripts escape `\` and `"` only; the
// control characters TOML forbids there (all but tab) are escaped here too, so a
// JAVA_TOOL_OPTIONS with a newline stays valid TOML.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case (r < 0x20 && r != '\t') || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
