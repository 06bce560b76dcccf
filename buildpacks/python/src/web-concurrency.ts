/**
 * WEB_CONCURRENCY at launch, as a POSIX sh exec.d program (a kilobyte in the image, not a
 * Node binary): gunicorn and uvicorn read it as their worker count.
 *
 * Rules, only when WEB_CONCURRENCY is unset or empty:
 * - CPUs: the cgroup quota (v2 `cpu.max` "quota period", v1 `cpu/cpu.cfs_quota_us` over
 *   `cpu/cpu.cfs_period_us`, rounded up), else `nproc`. Workers = 2 × CPUs + 1 (gunicorn's
 *   advice for sync workers).
 * - Memory: the cgroup limit (v2 `memory.max`, v1 `memory/memory.limit_in_bytes`; "max", 0
 *   or ≥ 1 PiB is unlimited) caps workers at one per 256 MiB, at least 1.
 * Files are read under `$CNB_CGROUP_ROOT` (default /sys/fs/cgroup; the variable exists for
 * tests). Output is TOML on fd 3, the exec.d channel.
 */

/** The exec.d program's file name. */
export const WEB_CONCURRENCY_EXEC_D = "web-concurrency";

/** Memory per worker for the cap. */
export const MEMORY_PER_WORKER_BYTES = 256 * 1024 * 1024;

/** The exec.d script. */
export const WEB_CONCURRENCY_SCRIPT = `#!/bin/sh
# cnbkit/python exec.d: WEB_CONCURRENCY = 2 x CPUs + 1, at most one per 256 MiB of the
# cgroup memory limit, at least 1; only when unset. TOML on fd 3.
set -eu
[ -z "\${WEB_CONCURRENCY:-}" ] || exit 0
root="\${CNB_CGROUP_ROOT:-/sys/fs/cgroup}"
num() { tr -d ' \\t\\r\\n' < "$1" 2>/dev/null || true; }
cpus=""
if [ -r "$root/cpu.max" ]; then
  set -- $(cat "$root/cpu.max")
  if [ "\${1:-max}" != max ] && [ "\${2:-0}" -gt 0 ]; then cpus=$(( ($1 + $2 - 1) / $2 )); fi
elif [ -r "$root/cpu/cpu.cfs_quota_us" ] && [ -r "$root/cpu/cpu.cfs_period_us" ]; then
  quota=$(num "$root/cpu/cpu.cfs_quota_us"); period=$(num "$root/cpu/cpu.cfs_period_us")
  case "$quota" in -*|""|*[!0-9]*) ;; *) [ "$period" -gt 0 ] && cpus=$(( (quota + period - 1) / period )) ;; esac
fi
[ -n "$cpus" ] || cpus=$(nproc 2>/dev/null || echo 1)
[ "$cpus" -ge 1 ] || cpus=1
workers=$((cpus * 2 + 1))
limit=""
for file in "$root/memory.max" "$root/memory/memory.limit_in_bytes"; do
  [ -r "$file" ] || continue
  value=$(num "$file")
  case "$value" in max|"") break ;; *[!0-9]*) continue ;; esac
  limit=$(printf '%s' "$value" | sed 's/^0*//')
  break
done
if [ -n "$limit" ] && [ "\${#limit}" -le 16 ] && [ "$limit" -lt 1125899906842624 ]; then
  cap=$((limit / ${MEMORY_PER_WORKER_BYTES}))
  [ "$cap" -ge 1 ] || cap=1
  [ "$workers" -le "$cap" ] || workers=$cap
fi
printf 'WEB_CONCURRENCY = "%s"\\n' "$workers" >&3
`;
