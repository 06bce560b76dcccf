/**
 * A full disk, said so that the user can act: Node's own ENOSPC message ("no space left on
 * device, write") names no path and no size.
 */
import { statfs } from "node:fs/promises";
import { CnbError } from "@cnbkit/framework";
import { formatBytes } from "../cache/index.js";

/**
 * `err` as one line naming `what` and how much room it needed, when it is ENOSPC (Node's
 * own message names no path); `err` unchanged otherwise.
 */
export async function diskFullError(err: unknown, what: string, dir: string, needed?: number): Promise<unknown> {
  if ((err as NodeJS.ErrnoException)?.code !== "ENOSPC") return err;
  const fs = await statfs(dir).catch(() => undefined);
  const free = fs ? formatBytes(fs.bavail * fs.bsize) : "unknown";
  const need = needed === undefined ? "" : `${formatBytes(needed)} needed, `;
  return new CnbError(`${what}: no space left on device (${need}${free} free on the filesystem of ${dir})`, {
    hint: "free space there (or point the output elsewhere) and run the command again",
    cause: err,
  });
}
