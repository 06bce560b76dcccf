/**
 * Atomic small-file writes: a reader (the lifecycle, a concurrent build, a crash-recovering
 * run) sees the old content or the new, never half a file.
 */
import { dirname } from "node:path";
import { chmod, mkdir, rename, rm, writeFile } from "./promised.js";

/** Options for {@link writeAtomic}. */
export interface WriteAtomicOptions {
  /** Create the parent directory first (default false: a missing parent is an error). */
  mkdirs?: boolean;
  /**
   * The new file's mode, whatever the umask (default: 0o666 less the umask, as writeFile
   * does). Files that end up in image layers pass one, so their bytes and modes are the same
   * on every machine.
   */
  mode?: number;
}

/**
 * Writes `content` to `path` through a temporary file in the same directory and a rename,
 * removing the temporary file when the write fails.
 */
export async function writeAtomic(
  path: string,
  content: string | Uint8Array,
  options: WriteAtomicOptions = {},
): Promise<void> {
  if (options.mkdirs) await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    await writeFile(tmp, content, options.mode === undefined ? {} : { mode: options.mode });
    // writeFile's mode goes through the umask; chmod does not.
    if (options.mode !== undefined) await chmod(tmp, options.mode);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
