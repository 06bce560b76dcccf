/**
 * The one answer to "is the process that left this (a lock, a temp dir, an in-use marker, a
 * container) still running?". Every leftover cnbkit sweeps names its owner's pid; asking in
 * three ways gave three answers, so everything asks here.
 *
 * `kill(pid, 0)` is not enough: it succeeds for a zombie (a SIGKILLed cnbkit whose parent
 * has not reaped it yet), which then kept its build container and locks "alive". So the
 * state field of `/proc/<pid>/stat` decides, and a start-time identity written by the owner
 * guards against the pid being reused by another process (after a reboot, or a wrap).
 */
import { readFileSync } from "node:fs";

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and ")". */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * `pid`'s boot id and start time, a string that no other process will ever have: written
 * beside a pid, it lets {@link isProcessAlive} tell the owner from a later process with the
 * same pid. Undefined when /proc cannot say.
 */
export function processIdentity(pid: number = process.pid): string | undefined {
  const start = statFields(pid)?.[19]; // field 22 (starttime); state is field 3, index 0 here
  if (!start) return undefined;
  try {
    return `${readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()} ${start}`;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a running process (not a zombie or dead one) and, when `identity` is
 * given, still the one that wrote it (see {@link processIdentity}).
 *
 * @example
 * if (!isProcessAlive(ownerPid, ownerIdentity)) await rm(staleDir, { recursive: true });
 */
export function isProcessAlive(pid: number, identity?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  const fields = statFields(pid);
  if (!fields) {
    // No /proc entry: gone, or /proc is not mounted (then kill(0) is all there is).
    if (procMounted()) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
  }
  const state = fields[0];
  if (state === "Z" || state === "X" || state === "x") return false;
  if (!identity) return true;
  const now = processIdentity(pid);
  return now === undefined || now === identity;
}

function procMounted(): boolean {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
}
