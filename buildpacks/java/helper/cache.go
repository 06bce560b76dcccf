package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// startupCacheCheck stands in for src/startup-cache-check.ts's sh script. A startup cache (AOT
// cache or CDS archive) maps only into the JVM build that wrote it, and only whole; given
// another JVM, or a file cut short or changed since, the JVM prints lines of its own (three of
// them [error]) and starts without it. This says so in one line instead and adds the flag that
// turns the cache off, which the JVM reads before the start command's -XX:AOTCache, so it then
// starts plainly and silently. The cds layer describes its cache in BPI_JVM_STARTUP_CACHE_*;
// with none of them set (no cache was trained) it does nothing.
func startupCacheCheck(opts string) string {
	cache := os.Getenv("BPI_JVM_STARTUP_CACHE")
	if cache == "" {
		return opts
	}
	label := env("BPI_JVM_STARTUP_CACHE_LABEL", "startup cache")
	off := func(why, next string) string {
		fmt.Fprintf(os.Stderr, "cnbkit/java: the %s %s, so the app starts without it; a new build writes %s\n", label, why, next)
		flag := os.Getenv("BPI_JVM_STARTUP_CACHE_OFF")
		if opts == "" {
			return flag
		}
		return opts + " " + flag
	}
	info, err := os.Stat(cache)
	if err != nil {
		return off(cache+" is missing", "it again")
	}
	wrote := os.Getenv("BPI_JVM_STARTUP_CACHE_SIZE")
	if have := strconv.FormatInt(info.Size(), 10); have != wrote {
		return off(fmt.Sprintf("is %s bytes and its training run wrote %s (truncated or changed since)", have, wrote), "it again")
	}
	trained := os.Getenv("BPI_JVM_STARTUP_CACHE_JVM")
	now := jvmBuild()
	if now == trained {
		return opts
	}
	this := "another one"
	if now != "" {
		this = "Java " + javaVersionIn(now)
	}
	return off(fmt.Sprintf("was written by Java %s and this JVM is %s", javaVersionIn(trained), this), "one for this JVM")
}

// jvmBuild is `java -Xinternalversion` of the runtime at JAVA_HOME (the string a cache's header
// records), run without the app's tool options, which the JVM would otherwise apply and
// announce; empty when it cannot be run.
func jvmBuild() string {
	out, err := jvmTool(os.Getenv("JAVA_HOME"), "java", "-Xinternalversion").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// javaVersionIn is the version in a -Xinternalversion string: what its first parentheses hold
// ("OpenJDK 64-Bit Server VM (25.0.2+10-LTS) for linux-amd64 ..." gives "25.0.2+10-LTS").
func javaVersionIn(build string) string {
	_, v, _ := strings.Cut(build, "(")
	v, _, _ = strings.Cut(v, ")")
	return v
}
