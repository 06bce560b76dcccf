/**
 * A cross-process lock made of a directory holding the owner's PID.
 *
 * Building a rootfs or a base image takes minutes; two callers (tests running in parallel,
 * two terminals) asking for the same one must not both build it. `mkdir` is atomic, so the
 * first caller gets the lock and the others wait. A lock left by a process that died is
 * taken over, so a crash never blocks later builds.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isProcessAlive } from "./pid.js";

/** Options for {@link withDirLock}. */
export interface DirLockOptions {
  /** Called once when the lock is held by another live process and we start waiting. */
  onWait?: (ownerPid: number | undefined) => void;
  /**
   * The longest wait between looks, in ms (default 500). Waits start at 5 ms and double: most
   * holds are short (a cache entry marked used, a blob placed), and a flat 500 ms poll cost
   * two buildpacks that share the runtime layer half a second of every `builder create`.
   */
  pollMs?: number;
}

/** A lock dir without a pid file older than this is treated as abandoned (its owner died between mkdir and write). */
const PIDLESS_GRACE_MS = 30_000;

/** A held {@link acquireDirLock} lock: release it once (or let `await using` do it). */
export interface HeldDirLock extends AsyncDisposable {
  /** The lock directory. */
  readonly path: string;
  /** Removes the lock; later calls do nothing. */
  release(): Promise<void>;
}

/**
 * Takes the lock directory `lockDir`, waiting while a live process holds it and taking over
 * one whose owner died. For a lock that spans more than one call, such as a build's.
 *
 * @example
 * await using lock = await acquireDirLock(`${cacheDir}.lock`, { onWait: (pid) => say(`waiting for ${pid}`) });
 */
export async function acquireDirLock(lockDir: string, options: DirLockOptions = {}): Promise<HeldDirLock> {
  let announced = false;
  let wait = 5;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = await lockOwner(lockDir);
    if (owner.stale) {
      await takeOver(lockDir, owner.pid);
      continue;
    }
    if (!announced) {
      announced = true;
      options.onWait?.(owner.pid);
    }
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, options.pollMs ?? 500);
  }
  let held = true;
  const release = async () => {
    if (!held) return;
    held = false;
    await rm(lockDir, { recursive: true, force: true });
  };
  try {
    // Written aside and renamed in, so a waiter never reads a half-written pid.
    await writeFile(join(lockDir, `pid.${process.pid}`), `${process.pid}\n`);
    await rename(join(lockDir, `pid.${process.pid}`), join(lockDir, "pid"));
  } catch (err) {
    await release();
    throw err;
  }
  return { path: lockDir, release, [Symbol.asyncDispose]: release };
}

/**
 * Runs `fn` while holding the lock directory `lockDir` and releases it afterwards, even on error.
 *
 * @example
 * const dir = await withDirLock(`${target}.lock`, async () => (await exists(target)) ? target : build());
 */
export async function withDirLock<T>(lockDir: string, fn: () => Promise<T>, options: DirLockOptions = {}): Promise<T> {
  const lock = await acquireDirLock(lockDir, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * Removes the stale lock of `deadPid` (undefined: a pidless one), and only that lock. Between
 * our look and the removal its owner's successor may have taken the name: several waiters
 * that judged the same dead owner at once each removing "the" lock would delete the new
 * holder's lock, or fail in rmdir on its pid file (ENOTEMPTY, seen with 8 writers on a loaded
 * machine). So the lock is renamed aside, which only one waiter can do, and removed only when
 * the renamed one is the dead owner's; a live lock moved by mistake is put back.
 */
async function takeOver(lockDir: string, deadPid: number | undefined): Promise<void> {
  const aside = `${lockDir}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await rename(lockDir, aside);
  } catch {
    return; // another waiter moved it, or its owner released it: try mkdir again
  }
  const moved = await lockOwner(aside);
  // A pidless lock is the dead owner's only while it is still stale: a fresh one is an owner
  // between mkdir and writing its pid.
  const isDeadOwners = deadPid !== undefined ? moved.pid === deadPid : moved.pid === undefined && moved.stale;
  if (isDeadOwners) {
    await rm(aside, { recursive: true, force: true });
    return;
  }
  // A live holder's lock: put it back unless a new one took the name meanwhile.
  await rename(aside, lockDir).catch(() => rm(aside, { recursive: true, force: true }));
}

async function lockOwner(lockDir: string): Promise<{ pid: number | undefined; stale: boolean }> {
  const text = await readFile(join(lockDir, "pid"), "utf8").catch(() => "");
  const pid = Number.parseInt(text.trim(), 10);
  if (Number.isInteger(pid) && pid > 0) return { pid, stale: !isProcessAlive(pid) };
  // No pid (yet): the owner is between mkdir and writing it, or died there. Taking the lock
  // over at once would let two callers in (one of them then deletes the other's temp files),
  // so only a lock that has stayed pidless for the grace period counts as abandoned.
  try {
    const age = Date.now() - (await stat(lockDir)).mtimeMs;
    return { pid: undefined, stale: age > PIDLESS_GRACE_MS };
  } catch {
    return { pid: undefined, stale: false }; // released meanwhile: try mkdir again
  }
}
