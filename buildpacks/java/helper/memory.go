package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// Paketo libjvm's constants (calc/calculator.go, helper/memory_calculator.go), as in
// src/memory-calculator.ts.
const (
	kib                = int64(1024)
	mib                = 1024 * kib
	gib                = 1024 * mib
	tib                = 1024 * gib
	classSize          = int64(5_800)
	classOverhead      = int64(14_000_000)
	classLoadFactor    = 0.35
	defaultThreadCount = int64(250)
	smallThreadCount   = int64(50) // when 250 threads' stacks do not fit and the user chose no count
	defaultDirect      = 10 * mib
	defaultCodeCache   = 240 * mib
	defaultStack       = mib
	maxJVMSize         = 64 * tib
)

// memoryCalculator returns opts with the JVM's memory flags added (those the user did not
// set), sized to the container's memory: BPL_JVM_TOTAL_MEMORY, else the cgroup limit, else
// 1 GiB. An error is the one line the script stops with.
func memoryCalculator(opts string) (string, error) {
	root := os.Getenv("CNB_JAVA_SYSTEM_ROOT") // tests point it at fake cgroup files
	var total int64
	if v := os.Getenv("BPL_JVM_TOTAL_MEMORY"); v != "" {
		n, err := parseSize(v, "BPL_JVM_TOTAL_MEMORY")
		if err != nil {
			return "", err
		}
		total = n
	} else if n, ok := cgroupLimit(root + "/sys/fs/cgroup/memory/memory.limit_in_bytes"); ok {
		total = n
	} else if n, ok := cgroupLimit(root + "/sys/fs/cgroup/memory.max"); ok {
		total = n
	} else {
		// Not the host's memory: a container with no limit shares the host, and a heap sized
		// to all of it invites the OOM killer (Paketo's newer releases default to 1G too).
		fmt.Fprintln(os.Stderr, "Container memory limit unset. Configuring JVM for 1G container (set BPL_JVM_TOTAL_MEMORY, e.g. 4G, to size it for more).")
		total = gib
	}
	total = min(total, maxJVMSize)

	headRoom, err := whole("BPL_JVM_HEAD_ROOM", env("BPL_JVM_HEAD_ROOM", "0"))
	if err != nil {
		return "", err
	}
	threads, err := whole("BPL_JVM_THREAD_COUNT", env("BPL_JVM_THREAD_COUNT", strconv.FormatInt(defaultThreadCount, 10)))
	if err != nil {
		return "", err
	}
	classes, err := loadedClasses()
	if err != nil {
		return "", err
	}

	// The user's own sizes count in the sums and are not set again; the last one wins, as
	// for the JVM.
	var heap, stack, meta, code, direct *int64
	userOOM := false
	for _, word := range strings.FieldsFunc(opts, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }) {
		var err error
		switch {
		case strings.HasPrefix(word, "-Xmx"):
			heap, err = sizeFlag(word[len("-Xmx"):], "-Xmx")
		case strings.HasPrefix(word, "-Xss"):
			stack, err = sizeFlag(word[len("-Xss"):], "-Xss")
		case strings.HasPrefix(word, "-XX:MaxMetaspaceSize="):
			meta, err = sizeFlag(word[len("-XX:MaxMetaspaceSize="):], "-XX:MaxMetaspaceSize")
		case strings.HasPrefix(word, "-XX:ReservedCodeCacheSize="):
			code, err = sizeFlag(word[len("-XX:ReservedCodeCacheSize="):], "-XX:ReservedCodeCacheSize")
		case strings.HasPrefix(word, "-XX:MaxDirectMemorySize="):
			direct, err = sizeFlag(word[len("-XX:MaxDirectMemorySize="):], "-XX:MaxDirectMemorySize")
		case word == "-XX:+ExitOnOutOfMemoryError", word == "-XX:-ExitOnOutOfMemoryError",
			word == "-XX:+CrashOnOutOfMemoryError", word == "-XX:-CrashOnOutOfMemoryError":
			userOOM = true
		}
		if err != nil {
			return "", err
		}
	}

	var calculated []string
	directSize := orDefault(direct, defaultDirect)
	metaSize := orDefault(meta, classOverhead+classSize*classes)
	codeSize := orDefault(code, defaultCodeCache)
	stackSize := orDefault(stack, defaultStack)
	fixed := directSize + metaSize + codeSize + stackSize*threads
	if fixed > total && os.Getenv("BPL_JVM_THREAD_COUNT") == "" {
		// Paketo stops here. Fewer threads' stacks (its own count for reactive apps) let a
		// small container start; the user's own count is never overridden.
		small := directSize + metaSize + codeSize + stackSize*smallThreadCount
		if small <= total {
			fmt.Fprintf(os.Stderr, "cnbkit/java memory calculator: the stacks of %d threads do not fit in %s; sizing for %d threads (set BPL_JVM_THREAD_COUNT to choose)\n",
				threads, formatSize(total), smallThreadCount)
			threads, fixed = smallThreadCount, small
		}
	}
	regions := fmt.Sprintf("-XX:MaxDirectMemorySize=%s, -XX:MaxMetaspaceSize=%s, -XX:ReservedCodeCacheSize=%s, -Xss%s * %d threads",
		formatSize(directSize), formatSize(metaSize), formatSize(codeSize), formatSize(stackSize), threads)
	if fixed > total {
		return "", fmt.Errorf("fixed memory regions require %s which is greater than %s available for allocation: %s; raise the memory limit or lower BPL_JVM_THREAD_COUNT",
			formatSize(fixed), formatSize(total), regions)
	}
	nonHeap := fixed + total*headRoom/100
	if nonHeap > total {
		return "", fmt.Errorf("non-heap memory regions require %s which is greater than %s available for allocation: %s, %d%% head room; lower BPL_JVM_HEAD_ROOM",
			formatSize(nonHeap), formatSize(total), regions, headRoom)
	}
	heapSize := orDefault(heap, total-nonHeap)
	if nonHeap+heapSize > total {
		return "", fmt.Errorf("all memory regions require %s which is greater than %s available for allocation: -Xmx%s, %s; lower -Xmx in JAVA_TOOL_OPTIONS",
			formatSize(nonHeap+heapSize), formatSize(total), formatSize(heapSize), regions)
	}
	if direct == nil {
		calculated = append(calculated, "-XX:MaxDirectMemorySize="+formatSize(directSize))
	}
	if heap == nil {
		calculated = append(calculated, "-Xmx"+formatSize(heapSize))
	}
	if meta == nil {
		calculated = append(calculated, "-XX:MaxMetaspaceSize="+formatSize(metaSize))
	}
	if code == nil {
		calculated = append(calculated, "-XX:ReservedCodeCacheSize="+formatSize(codeSize))
	}
	if stack == nil {
		calculated = append(calculated, "-Xss"+formatSize(stackSize))
	}
	fmt.Fprintf(os.Stderr, "Calculated JVM Memory Configuration: %s (Total Memory: %s, Thread Count: %d, Loaded Class Count: %d, Headroom: %d%%)\n",
		strings.Join(calculated, " "), formatSize(total), threads, classes, headRoom)
	if !userOOM {
		calculated = append(calculated, "-XX:+ExitOnOutOfMemoryError")
	}
	return join(opts, calculated...), nil
}

// loadedClasses is BPL_JVM_LOADED_CLASS_COUNT, else the build's counts (JVM and app) times
// 0.35, multiplied in float64 and truncated as Paketo's Go does (180 classes give 62, not 63).
func loadedClasses() (int64, error) {
	if v := os.Getenv("BPL_JVM_LOADED_CLASS_COUNT"); v != "" {
		return whole("BPL_JVM_LOADED_CLASS_COUNT", v)
	}
	jvm, err := whole("BPI_JVM_CLASS_COUNT", env("BPI_JVM_CLASS_COUNT", "0"))
	if err != nil {
		return 0, err
	}
	app, err := whole("BPI_APP_CLASS_COUNT", env("BPI_APP_CLASS_COUNT", "0"))
	if err != nil {
		return 0, err
	}
	return int64(float64(jvm+app) * classLoadFactor), nil
}

// cgroupLimit reads a cgroup memory limit; false when the file is missing, says "max", or
// holds cgroup v1's "no limit" (~2^63, 19 digits), which the script also skips.
func cgroupLimit(path string) (int64, bool) {
	text, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, string(text))
	if !digits(v) || len(v) > 18 {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// whole parses a setting that must be a whole number.
func whole(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if !digits(v) || err != nil {
		return 0, fmt.Errorf("%s must be a whole number, not %q", name, v)
	}
	return n, nil
}

// parseSize reads a JVM size such as 512m (digits, then an optional k, m, g or t in any case).
func parseSize(text, flag string) (int64, error) {
	n, unit := text, int64(1)
	if i := len(text) - 1; i >= 0 {
		switch text[i] {
		case 'k', 'K':
			n, unit = text[:i], kib
		case 'm', 'M':
			n, unit = text[:i], mib
		case 'g', 'G':
			n, unit = text[:i], gib
		case 't', 'T':
			n, unit = text[:i], tib
		}
	}
	v, err := strconv.ParseInt(n, 10, 64)
	if !digits(n) || err != nil || v > math.MaxInt64/unit {
		return 0, fmt.Errorf("%s: %q is not a size such as 512m", flag, text)
	}
	return v * unit, nil
}

func sizeFlag(text, flag string) (*int64, error) {
	v, err := parseSize(text, flag)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func orDefault(v *int64, fallback int64) int64 {
	if v != nil {
		return *v
	}
	return fallback
}

// formatSize prints a size as Paketo's Size.String() does: whole KiB, then the largest of
// T, G and M that divides them, else K.
func formatSize(bytes int64) string {
	b := bytes / kib
	switch {
	case b == 0:
		return "0"
	case b%gib == 0:
		return fmt.Sprintf("%dT", b/gib)
	case b%mib == 0:
		return fmt.Sprintf("%dG", b/mib)
	case b%kib == 0:
		return fmt.Sprintf("%dM", b/kib)
	}
	return fmt.Sprintf("%dK", b)
}
