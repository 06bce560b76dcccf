/**
 * Memory-aware Node defaults at launch, as a POSIX sh exec.d program: a V8 heap cap
 * (`--max-old-space-size`, 75% of the container's cgroup memory limit, in MiB) and a
 * WEB_CONCURRENCY hint (one worker per 512 MiB, at least 1), as Heroku does.
 *
 * A shell script rather than the buildpack binary (`execD.addSelf`), so the app image gains
 * about a kilobyte instead of a ~110 MB single-file executable. This script is the single
 * statement of the rules; its tests run it with `sh` against fake cgroup files.
 *
 * Rules:
 * - the limit is cgroup v2 `memory.max`, else v1 `memory/memory.limit_in_bytes`, under
 *   `$CNB_CGROUP_ROOT` (default `/sys/fs/cgroup`; the variable exists for tests). "max", an
 *   empty file, 0 or anything at or above 1 PiB (v1 writes ~2^63 for "no limit") is unlimited,
 *   and then nothing is set. A non-numeric v2 file falls through to v1.
 * - `NODE_OPTIONS` gains ` --max-old-space-size=<floor(limit × 0.75 / MiB), min 1>` unless it
 *   already has `--max-old-space-size` or `--max_old_space_size`.
 * - `WEB_CONCURRENCY` is set to `floor(limit / 512 MiB)`, min 1, only when unset or empty.
 * Output is TOML on fd 3, the exec.d channel.
 */

/** The exec.d program's file name in the `node_exec_d` layer. */
export const MEMORY_EXEC_D = "node-memory";

/** Limits at or above this (1 PiB) are treated as "no limit" (cgroup v1 writes ~2^63). */
export const UNLIMITED_BYTES = 2 ** 50;

/** Memory per web worker for the WEB_CONCURRENCY hint. */
export const MEMORY_PER_WORKER_BYTES = 512 * 1024 * 1024;

/** The exec.d script. Reads the cgroup limit under `${CNB_CGROUP_ROOT:-/sys/fs/cgroup}`. */
export const MEMORY_SCRIPT = `#!/bin/sh
# cnbkit/nodejs exec.d: memory-aware NODE_OPTIONS (--max-old-space-size, 75% of the cgroup
# memory limit) and WEB_CONCURRENCY (one per 512 MiB, min 1), each only when the user has not
# set one. Writes TOML on fd 3. CNB_CGROUP_ROOT overrides /sys/fs/cgroup (for tests).
set -eu
root="\${CNB_CGROUP_ROOT:-/sys/fs/cgroup}"
limit=""
for file in "$root/memory.max" "$root/memory/memory.limit_in_bytes"; do
  [ -r "$file" ] || continue
  value=$(tr -d ' \\t\\r\\n' < "$file")
  case "$value" in
    max|"") exit 0 ;;
    *[!0-9]*) continue ;;
  esac
  limit="$value"
  break
done
[ -n "$limit" ] || exit 0
limit=$(printf '%s' "$limit" | sed 's/^0*//')
[ -n "$limit" ] || exit 0
# At or above ${UNLIMITED_BYTES} (1 PiB) means no limit; compare lengths first so sh
# arithmetic never sees a number too large for it.
[ "\${#limit}" -le 16 ] || exit 0
[ "$limit" -lt ${UNLIMITED_BYTES} ] || exit 0
current="\${NODE_OPTIONS:-}"
case "$current" in
  *--max-old-space-size*|*--max_old_space_size*) ;;
  *)
    heap=$((limit * 3 / 4 / 1048576))
    [ "$heap" -ge 1 ] || heap=1
    if [ -n "$current" ]; then options="$current --max-old-space-size=$heap"; else options="--max-old-space-size=$heap"; fi
    escaped=$(printf '%s' "$options" | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g')
    printf 'NODE_OPTIONS = "%s"\\n' "$escaped" >&3
    ;;
esac
if [ -z "\${WEB_CONCURRENCY:-}" ]; then
  workers=$((limit / ${MEMORY_PER_WORKER_BYTES}))
  [ "$workers" -ge 1 ] || workers=1
  printf 'WEB_CONCURRENCY = "%s"\\n' "$workers" >&3
fi
exit 0
`;
