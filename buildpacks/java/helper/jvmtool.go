package main

import (
	"os"
	"os/exec"
	"strings"
)

// jvmTool is the command `$home/bin/<name> args...` (name on PATH when home is empty), run
// without the app's JVM options. The JVM would apply JAVA_TOOL_OPTIONS and the others to the
// tool too (a debug agent on the app's port, the app's heap size) and announce them on
// stderr; set but empty, it would still print "Picked up JAVA_TOOL_OPTIONS: ".
func jvmTool(home, name string, args ...string) *exec.Cmd {
	path := name
	if home != "" {
		path = home + "/bin/" + name
	}
	cmd := exec.Command(path, args...)
	cmd.Env = []string{}
	for _, kv := range os.Environ() {
		key, _, _ := strings.Cut(kv, "=")
		if key != "JAVA_TOOL_OPTIONS" && key != "JDK_JAVA_OPTIONS" && key != "_JAVA_OPTIONS" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}
