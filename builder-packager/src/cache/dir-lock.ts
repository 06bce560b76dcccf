/**
 * A cross-process lock made of a directory holding the owner's PID.
 *
 * Building a rootfs or a base image takes minutes; two callers (tests running in parallel,
 * two terminals) asking for the same one must not both build it. `mkdir` is atomic, so the
 * first caller gets the lock and the others wait. A lock left by a process that died is
 * taken over, so a crash never blocks later builds.
 */
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
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
  while (!(await tryCreate(lockDir))) {
    const owner = await lockOwner(lockDir);
    // After our own takeover try the name at once; while another waiter takes over, wait.
    if (owner.stale && (await takeOver(lockDir, owner.pid))) continue;
    if (!owner.stale && !announced) {
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
    await removeLock(lockDir);
  };
  return { path: lockDir, release, [Symbol.asyncDispose]: release };
}

/**
 * Creates the lock with its pid already inside: the directory is made aside and renamed in,
 * which fails while any lock (never empty) holds the name. A lock born without its pid let a
 * waiter that judged an older owner dead move the new holder's directory away while the holder
 * was still writing into it (an ENOENT seen in CI with 8 waiters).
 */
async function tryCreate(lockDir: string): Promise<boolean> {
  const draft = await mkdtemp(`${lockDir}.new-`);
  try {
    await writeFile(join(draft, "pid"), `${process.pid}\n`);
    await rename(draft, lockDir);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EEXIST" && code !== "ENOTEMPTY") throw err;
    return false;
  } finally {
    await rm(draft, { recursive: true, force: true });
  }
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
 * Removes a lock by first renaming it aside. Removed in place, it would be empty for a moment
 * between unlinking its pid and rmdir, and renaming a new lock onto an empty directory
 * succeeds: the new holder's lock would then fail our rmdir (ENOTEMPTY) or vanish.
 */
async function removeLock(lockDir: string): Promise<void> {
  const aside = `${lockDir}.old-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await rename(lockDir, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  await rm(aside, { recursive: true, force: true });
}

/** A takeover mutex older than this belongs to a waiter that died inside its few-ms hold. */
const TAKEOVER_GRACE_MS = 10_000;

/**
 * Removes the stale lock of `deadPid` (undefined: a pidless one), and only that lock. Several
 * waiters judge the same dead owner at once, and between one's look and its removal another
 * may already have removed it and a new holder taken the name. So removal happens under a
 * second, short-lived mutex (`<lock>.takeover`), and the owner is read again inside it: a live
 * holder's lock is never touched, not even moved for a moment. False while another waiter
 * holds the mutex.
 */
async function takeOver(lockDir: string, deadPid: number | undefined): Promise<boolean> {
  const mutex = `${lockDir}.takeover`;
  try {
    await mkdir(mutex);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    await clearDeadMutex(mutex);
    return false;
  }
  try {
    const owner = await lockOwner(lockDir);
    const stillDead = owner.stale && owner.pid === deadPid;
    if (stillDead) await removeLock(lockDir);
    return true;
  } finally {
    await rm(mutex, { recursive: true, force: true });
  }
}

/** Removes a takeover mutex left by a waiter that died holding it (renamed aside first, so only one waiter removes it). */
async function clearDeadMutex(mutex: string): Promise<void> {
  const age = await stat(mutex).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  );
  if (age <= TAKEOVER_GRACE_MS) return;
  const aside = `${mutex}.dead-${process.pid}-${Math.random().toString(36).slice(2)}`;
  if (
    await rename(mutex, aside).then(
      () => true,
      () => false,
    )
  )
    await rm(aside, { recursive: true, force: true });
}

async function lockOwner(lockDir: string): Promise<{ pid: number | undefined; stale: boolean }> {
  const text = await readFile(join(lockDir, "pid"), "utf8").catch(() => "");
  const pid = Number.parseInt(text.trim(), 10);
  if (Number.isInteger(pid) && pid > 0) return { pid, stale: !isProcessAlive(pid) };
  // No pid: a lock made by an older cnbkit, which wrote its pid after mkdir, by an owner that
  // may still be between the two. Only one that has stayed pidless for the grace period counts
  // as abandoned.
  try {
    const age = Date.now() - (await stat(lockDir)).mtimeMs;
    return { pid: undefined, stale: age > PIDLESS_GRACE_MS };
  } catch {
    return { pid: undefined, stale: false }; // released meanwhile: try mkdir again
  }
}
