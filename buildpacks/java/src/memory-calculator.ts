/**
 * The JVM memory calculator, as a POSIX sh exec.d program the launcher runs before the app
 * starts (not the buildpack binary: that would put a ~100 MB executable into every image).
 *
 * It is Paketo's libjvm calculator (github.com/paketo-buildpacks/libjvm, package `calc`:
 * calc/calculator.go, memory_regions.go, size.go, and helper/memory_calculator.go, at commit
 * 53eac90580d25e3d886580c73e1ab7d0934179ce), restated:
 * - total = BPL_JVM_TOTAL_MEMORY (a size such as 2G), else cgroup v1 `memory.limit_in_bytes`,
 *   else v2 `memory.max`, else 1 GiB, said in one line on stderr as Paketo says it
 *   ("Container memory limit unset. Configuring JVM for 1G container."); at most 64 TiB.
 *   Not the host's free memory: a container with no limit shares the host, and sizing the
 *   heap to all of it (`-Xmx23G` on a 24 GB machine, 0% head room) invites the OOM killer;
 *   newer libjvm releases default to 1G the same way;
 * - loaded classes = BPL_JVM_LOADED_CLASS_COUNT, else trunc((JVM classes + app classes) × 0.35),
 *   the counts coming from the build (BPI_JVM_CLASS_COUNT, BPI_APP_CLASS_COUNT);
 * - metaspace = 14,000,000 + 5,800 × loaded classes; direct memory 10M; reserved code cache
 *   240M; stack 1M × BPL_JVM_THREAD_COUNT (default 250); head room = BPL_JVM_HEAD_ROOM % of
 *   total (default 0);
 * - -Xmx = total − head room − direct − metaspace − code cache − stacks.
 * One departure: where the default 250 threads' stacks alone leave no room (a 512 MiB
 * container), Paketo stops with an error; this sizes for 50 threads instead, says so on
 * stderr, and fails only when those do not fit either. A BPL_JVM_THREAD_COUNT is never changed.
 * Any of -Xmx, -Xss, -XX:MaxMetaspaceSize, -XX:ReservedCodeCacheSize, -XX:MaxDirectMemorySize
 * already in JAVA_TOOL_OPTIONS is the user's: used in the sums and not set again. Sizes print
 * as Paketo's do (whole KiB, then the largest unit that divides them). The script also adds
 * -XX:+ExitOnOutOfMemoryError unless JAVA_TOOL_OPTIONS says otherwise.
 *
 * {@link calculateMemory} is the same formula in TypeScript. On a run image without a shell
 * the same calculator runs as the static Go program buildpacks/java/helper (`jvm-helper`,
 * steps/add-shell-free-launch.ts). The tests run the script with `sh`, and the Go program,
 * over fake cgroup files and compare all three.
 */
import { CnbError } from "@cnbkit/framework";

/** The exec.d program's name in the JRE layer. */
export const MEMORY_CALCULATOR_EXEC_D = "memory-calculator";

/** Paketo's constants (calc/calculator.go, helper/memory_calculator.go). */
export const CLASS_SIZE = 5_800;
export const CLASS_OVERHEAD = 14_000_000;
export const CLASS_LOAD_FACTOR = 0.35;
export const DEFAULT_THREAD_COUNT = 250;
/**
 * The thread count used when the default one's stacks do not fit the container and the user
 * set none (Paketo fails there): 50, what Paketo's spring-boot buildpack sets for reactive apps.
 */
export const SMALL_THREAD_COUNT = 50;
export const MIB = 1024 * 1024;
export const DEFAULT_DIRECT_MEMORY = 10 * MIB;
export const DEFAULT_RESERVED_CODE_CACHE = 240 * MIB;
export const DEFAULT_STACK = MIB;
export const MAX_JVM_SIZE = 64 * 1024 ** 4;
const GIB = 1024 ** 3;

/** The exec.d script. `CNB_JAVA_SYSTEM_ROOT` (for tests) prefixes /sys/fs/cgroup and /proc. */
export const MEMORY_CALCULATOR_SCRIPT = `#!/bin/sh
# cnbkit/java exec.d: sizes the JVM to the container (Paketo libjvm's memory calculator
# formula) and writes JAVA_TOOL_OPTIONS as TOML on fd 3.
set -euf
root="\${CNB_JAVA_SYSTEM_ROOT:-}"
fail() { echo "cnbkit/java memory calculator: $*" >&2; exit 1; }
whole() { case "$2" in ''|*[!0-9]*) fail "$1 must be a whole number, not \\"$2\\"";; esac; }
size() {
  n=\${1%[kKmMgGtT]}; u=\${1#"$n"}
  case "$n" in ''|*[!0-9]*) fail "$2: \\"$1\\" is not a size such as 512m";; esac
  case "$u" in
    '') echo "$n" ;; [kK]) echo $((n * 1024)) ;; [mM]) echo $((n * 1048576)) ;;
    [gG]) echo $((n * 1073741824)) ;; [tT]) echo $((n * 1099511627776)) ;;
  esac
}
fmt() {
  b=$(($1 / 1024))
  if [ "$b" -eq 0 ]; then echo 0
  elif [ $((b % 1073741824)) -eq 0 ]; then echo "$((b / 1073741824))T"
  elif [ $((b % 1048576)) -eq 0 ]; then echo "$((b / 1048576))G"
  elif [ $((b % 1024)) -eq 0 ]; then echo "$((b / 1024))M"
  else echo "\${b}K"; fi
}
limit_in() {
  [ -r "$1" ] || return 0
  v=$(tr -d ' \\t\\r\\n' < "$1")
  case "$v" in ''|max|*[!0-9]*) return 0 ;; esac
  # 19 digits and more is cgroup v1's "no limit" (~2^63), too big for sh arithmetic anyway.
  [ "\${#v}" -le 18 ] && echo "$v"
  return 0
}
if [ -n "\${BPL_JVM_TOTAL_MEMORY:-}" ]; then
  total=$(size "$BPL_JVM_TOTAL_MEMORY" BPL_JVM_TOTAL_MEMORY)
else
  total=$(limit_in "$root/sys/fs/cgroup/memory/memory.limit_in_bytes")
  [ -n "$total" ] || total=$(limit_in "$root/sys/fs/cgroup/memory.max")
fi
if [ -z "$total" ]; then
  echo "Container memory limit unset. Configuring JVM for 1G container (set BPL_JVM_TOTAL_MEMORY, e.g. 4G, to size it for more)." >&2
  total=1073741824
fi
[ "$total" -le ${MAX_JVM_SIZE} ] || total=${MAX_JVM_SIZE}

head_room=\${BPL_JVM_HEAD_ROOM:-0}; whole BPL_JVM_HEAD_ROOM "$head_room"
threads=\${BPL_JVM_THREAD_COUNT:-${DEFAULT_THREAD_COUNT}}; whole BPL_JVM_THREAD_COUNT "$threads"
if [ -n "\${BPL_JVM_LOADED_CLASS_COUNT:-}" ]; then
  classes=$BPL_JVM_LOADED_CLASS_COUNT; whole BPL_JVM_LOADED_CLASS_COUNT "$classes"
else
  jvm=\${BPI_JVM_CLASS_COUNT:-0}; app=\${BPI_APP_CLASS_COUNT:-0}
  whole BPI_JVM_CLASS_COUNT "$jvm"; whole BPI_APP_CLASS_COUNT "$app"
  # awk multiplies in IEEE doubles, as Paketo's Go does: int(float64(n) * 0.35).
  classes=$(awk "BEGIN { printf \\"%d\\", ($jvm + $app) * ${CLASS_LOAD_FACTOR} }")
fi

opts="\${JAVA_TOOL_OPTIONS:-}"
heap=""; stack=""; meta=""; code=""; direct=""; oom=""
for word in $opts; do
  case "$word" in
    -Xmx*) heap=$(size "\${word#-Xmx}" -Xmx) ;;
    -Xss*) stack=$(size "\${word#-Xss}" -Xss) ;;
    -XX:MaxMetaspaceSize=*) meta=$(size "\${word#*=}" -XX:MaxMetaspaceSize) ;;
    -XX:ReservedCodeCacheSize=*) code=$(size "\${word#*=}" -XX:ReservedCodeCacheSize) ;;
    -XX:MaxDirectMemorySize=*) direct=$(size "\${word#*=}" -XX:MaxDirectMemorySize) ;;
    -XX:[+-]ExitOnOutOfMemoryError|-XX:[+-]CrashOnOutOfMemoryError) oom=user ;;
  esac
done
calculated=""
add() { calculated="\${calculated:+$calculated }$1"; }
[ -n "$direct" ] || { direct=${DEFAULT_DIRECT_MEMORY}; d_new=1; }
[ -n "$meta" ] || { meta=$((${CLASS_OVERHEAD} + ${CLASS_SIZE} * classes)); m_new=1; }
[ -n "$code" ] || { code=${DEFAULT_RESERVED_CODE_CACHE}; c_new=1; }
[ -n "$stack" ] || { stack=${DEFAULT_STACK}; s_new=1; }
fixed=$((direct + meta + code + stack * threads))
if [ "$fixed" -gt "$total" ] && [ -z "\${BPL_JVM_THREAD_COUNT:-}" ]; then
  # Paketo stops here. Fewer threads' stacks (its own count for reactive apps) let a small
  # container start; the user's own count is never overridden.
  small=$((direct + meta + code + stack * ${SMALL_THREAD_COUNT}))
  if [ "$small" -le "$total" ]; then
    echo "cnbkit/java memory calculator: the stacks of $threads threads do not fit in $(fmt "$total"); sizing for ${SMALL_THREAD_COUNT} threads (set BPL_JVM_THREAD_COUNT to choose)" >&2
    threads=${SMALL_THREAD_COUNT}; fixed=$small
  fi
fi
regions="-XX:MaxDirectMemorySize=$(fmt "$direct"), -XX:MaxMetaspaceSize=$(fmt "$meta"), -XX:ReservedCodeCacheSize=$(fmt "$code"), -Xss$(fmt "$stack") * $threads threads"
[ "$fixed" -le "$total" ] || fail "fixed memory regions require $(fmt "$fixed") which is greater than $(fmt "$total") available for allocation: $regions; raise the memory limit or lower BPL_JVM_THREAD_COUNT"
room=$((total * head_room / 100))
nonheap=$((fixed + room))
[ "$nonheap" -le "$total" ] || fail "non-heap memory regions require $(fmt "$nonheap") which is greater than $(fmt "$total") available for allocation: $regions, $head_room% head room; lower BPL_JVM_HEAD_ROOM"
[ -n "$heap" ] || { heap=$((total - nonheap)); h_new=1; }
[ $((nonheap + heap)) -le "$total" ] || fail "all memory regions require $(fmt $((nonheap + heap))) which is greater than $(fmt "$total") available for allocation: -Xmx$(fmt "$heap"), $regions; lower -Xmx in JAVA_TOOL_OPTIONS"
[ -z "\${d_new:-}" ] || add "-XX:MaxDirectMemorySize=$(fmt "$direct")"
[ -z "\${h_new:-}" ] || add "-Xmx$(fmt "$heap")"
[ -z "\${m_new:-}" ] || add "-XX:MaxMetaspaceSize=$(fmt "$meta")"
[ -z "\${c_new:-}" ] || add "-XX:ReservedCodeCacheSize=$(fmt "$code")"
[ -z "\${s_new:-}" ] || add "-Xss$(fmt "$stack")"
echo "Calculated JVM Memory Configuration: $calculated (Total Memory: $(fmt "$total"), Thread Count: $threads, Loaded Class Count: $classes, Headroom: $head_room%)" >&2
[ -n "$oom" ] || add "-XX:+ExitOnOutOfMemoryError"
value="\${opts:+$opts }$calculated"
escaped=$(printf '%s' "$value" | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g')
printf 'JAVA_TOOL_OPTIONS = "%s"\\n' "$escaped" >&3
`;

/** The calculator's inputs, as the script reads them from files and the environment. */
export interface MemoryInputs {
  /** The container's memory limit in bytes; undefined when it has none (then 1 GiB). BPL_JVM_TOTAL_MEMORY wins. */
  totalBytes?: number | undefined;
  env: Record<string, string | undefined>;
}

/** Paketo's `Size.String()`: whole KiB, then T, G or M when they divide evenly, else K. */
export function formatSize(bytes: number): string {
  const b = Math.trunc(bytes / 1024);
  if (b === 0) return "0";
  if (b % GIB === 0) return `${b / GIB}T`;
  if (b % MIB === 0) return `${b / MIB}G`;
  if (b % 1024 === 0) return `${b / 1024}M`;
  return `${b}K`;
}

/** `512m`-style JVM sizes in bytes. */
function parseSize(text: string, flag: string): number {
  const m = /^(\d+)([kKmMgGtT]?)$/.exec(text);
  if (!m) throw new CnbError(`${flag}: "${text}" is not a size such as 512m`);
  const unit = { "": 1, k: 1024, m: MIB, g: GIB, t: 1024 * GIB }[(m[2] as string).toLowerCase()] as number;
  return Number(m[1]) * unit;
}

/**
 * The reference formula: JAVA_TOOL_OPTIONS after the calculator, or the error it stops with.
 *
 * @example
 * calculateMemory({ totalBytes: 2 ** 30, env: { BPL_JVM_LOADED_CLASS_COUNT: "10000" } }).javaToolOptions
 * // "-XX:MaxDirectMemorySize=10M -Xmx466263K -XX:MaxMetaspaceSize=70312K -XX:ReservedCodeCacheSize=240M -Xss1M -XX:+ExitOnOutOfMemoryError"
 */
export function calculateMemory(inputs: MemoryInputs): {
  javaToolOptions: string;
  loadedClasses: number;
  threadCount: number;
} {
  const { env } = inputs;
  const given = env.BPL_JVM_TOTAL_MEMORY ? parseSize(env.BPL_JVM_TOTAL_MEMORY, "BPL_JVM_TOTAL_MEMORY") : undefined;
  const total = Math.min(given ?? inputs.totalBytes ?? GIB, MAX_JVM_SIZE);
  const headRoom = Number(env.BPL_JVM_HEAD_ROOM || 0);
  let threads = Number(env.BPL_JVM_THREAD_COUNT || DEFAULT_THREAD_COUNT);
  const loadedClasses = env.BPL_JVM_LOADED_CLASS_COUNT
    ? Number(env.BPL_JVM_LOADED_CLASS_COUNT)
    : Math.trunc((Number(env.BPI_JVM_CLASS_COUNT || 0) + Number(env.BPI_APP_CLASS_COUNT || 0)) * CLASS_LOAD_FACTOR);
  const opts = env.JAVA_TOOL_OPTIONS ?? "";
  const user = new Map<string, number>();
  let oom = false;
  for (const word of opts.split(/\s+/).filter(Boolean)) {
    const m = /^(-Xmx|-Xss|-XX:MaxMetaspaceSize=|-XX:ReservedCodeCacheSize=|-XX:MaxDirectMemorySize=)(.*)$/.exec(word);
    if (m) user.set(m[1] as string, parseSize(m[2] as string, m[1] as string));
    if (/^-XX:[+-](Exit|Crash)OnOutOfMemoryError$/.test(word)) oom = true;
  }
  const direct = user.get("-XX:MaxDirectMemorySize=") ?? DEFAULT_DIRECT_MEMORY;
  const meta = user.get("-XX:MaxMetaspaceSize=") ?? CLASS_OVERHEAD + CLASS_SIZE * loadedClasses;
  const code = user.get("-XX:ReservedCodeCacheSize=") ?? DEFAULT_RESERVED_CODE_CACHE;
  const stack = user.get("-Xss") ?? DEFAULT_STACK;
  let fixed = direct + meta + code + stack * threads;
  const small = direct + meta + code + stack * SMALL_THREAD_COUNT;
  if (fixed > total && !env.BPL_JVM_THREAD_COUNT && small <= total) {
    threads = SMALL_THREAD_COUNT;
    fixed = small;
  }
  if (fixed > total)
    throw new CnbError(
      `fixed memory regions require ${formatSize(fixed)} which is greater than ${formatSize(total)} available for allocation`,
    );
  const nonHeap = fixed + Math.trunc((headRoom / 100) * total);
  if (nonHeap > total)
    throw new CnbError(
      `non-heap memory regions require ${formatSize(nonHeap)} which is greater than ${formatSize(total)} available for allocation`,
    );
  const heap = user.get("-Xmx") ?? total - nonHeap;
  if (nonHeap + heap > total)
    throw new CnbError(
      `all memory regions require ${formatSize(nonHeap + heap)} which is greater than ${formatSize(total)} available for allocation`,
    );
  const calculated: string[] = [];
  if (!user.has("-XX:MaxDirectMemorySize=")) calculated.push(`-XX:MaxDirectMemorySize=${formatSize(direct)}`);
  if (!user.has("-Xmx")) calculated.push(`-Xmx${formatSize(heap)}`);
  if (!user.has("-XX:MaxMetaspaceSize=")) calculated.push(`-XX:MaxMetaspaceSize=${formatSize(meta)}`);
  if (!user.has("-XX:ReservedCodeCacheSize=")) calculated.push(`-XX:ReservedCodeCacheSize=${formatSize(code)}`);
  if (!user.has("-Xss")) calculated.push(`-Xss${formatSize(stack)}`);
  if (!oom) calculated.push("-XX:+ExitOnOutOfMemoryError");
  return { javaToolOptions: [opts, ...calculated].filter(Boolean).join(" "), loadedClasses, threadCount: threads };
}
