package main

import (
	"fmt"
	"os"
	"strings"
)

// debugAgent adds the JDWP agent to opts when BPL_DEBUG_ENABLED is true, listening on
// BPL_DEBUG_PORT (default 8000; a bare port on every interface, host:port as given) and
// suspending until a debugger attaches when BPL_DEBUG_SUSPEND is true. The user's own agent
// wins, and a runtime without jdk.jdwp.agent gets a warning instead of a JVM that will not
// start: both leave opts as they are.
func debugAgent(opts string) (string, error) {
	if !truthy(env("BPL_DEBUG_ENABLED", "false")) {
		return opts, nil
	}
	if strings.Contains(opts, "-agentlib:jdwp") {
		fmt.Fprintln(os.Stderr, "cnbkit/java: JAVA_TOOL_OPTIONS already has a JDWP agent")
		return opts, nil
	}
	// As the script's `[ -f "${JAVA_HOME:-}/release" ] && ! grep -q jdk.jdwp.agent`: a
	// runtime with no release file is trusted to have the module.
	release := os.Getenv("JAVA_HOME") + "/release"
	if info, err := os.Stat(release); err == nil && info.Mode().IsRegular() {
		text, err := os.ReadFile(release)
		if err == nil && !strings.Contains(string(text), "jdk.jdwp.agent") {
			fmt.Fprintln(os.Stderr, "cnbkit/java: BPL_DEBUG_ENABLED is set but this Java runtime has no jdk.jdwp.agent module; debugging stays off")
			return opts, nil
		}
	}
	port := env("BPL_DEBUG_PORT", "8000")
	address := port
	if !strings.Contains(port, ":") {
		if !digits(port) {
			return "", fmt.Errorf("BPL_DEBUG_PORT must be a port such as 8000 or host:port, not %q", port)
		}
		address = "*:" + port
	}
	suspend := "n"
	if truthy(env("BPL_DEBUG_SUSPEND", "false")) {
		suspend = "y"
	}
	fmt.Fprintf(os.Stderr, "Debugging enabled on %s (suspend=%s)\n", address, suspend)
	return join(opts, "-agentlib:jdwp=transport=dt_socket,server=y,address="+address+",suspend="+suspend), nil
}

// truthy is the script's `yes`: true, 1 or yes, in any case.
func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "true", "1", "yes":
		return true
	}
	return false
}

// digits reports whether s is a non-empty run of ASCII digits, the scripts' test for a number.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// join appends words to opts with one space, as the scripts' `${opts:+$opts }`.
func join(opts string, words ...string) string {
	all := strings.Join(words, " ")
	if opts == "" || all == "" {
		return opts + all
	}
	return opts + " " + all
}
