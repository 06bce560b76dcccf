/** "Is there a regular file at this path", without throwing for a missing one. */
import { stat } from "node:fs";

/** True when `path` is a regular file (following symlinks); false when it is missing, a directory, or unreadable. */
export function isFile(path: string): Promise<boolean> {
  return new Promise((resolve) => stat(path, (err, st) => resolve(!err && st.isFile())));
}
