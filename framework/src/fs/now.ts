/**
 * File reads and writes for the detect path: done at once on the calling thread, returned
 * as promises so callers (and buildpack authors' `ctx.app.*`) keep one async API.
 *
 * Why not the promised calls: a detect does one small thing at a time, so libuv's thread
 * pool (started by the first async call, ~0.7 ms here) and a thread round trip per call
 * (~0.1 ms) are pure cost, paid by every buildpack in every group. The files are the app's
 * manifests and the platform's small files; build reuses these readers, where a blocking
 * read of a small file costs no more than its async twin.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { readdir, readFile, stat, writeFile } from "./promised.js";

/** `readFile` run at once (see the module doc). */
export const readFileNow = (async (...args: Parameters<typeof readFileSync>) =>
  readFileSync(...args)) as typeof readFile;
/** `readdir` run at once (see the module doc). */
export const readdirNow = (async (...args: Parameters<typeof readdirSync>) => readdirSync(...args)) as typeof readdir;
/** `stat` run at once (see the module doc). */
export const statNow = (async (...args: Parameters<typeof statSync>) => statSync(...args)) as typeof stat;
/** `writeFile` run at once (see the module doc). */
export const writeFileNow = (async (...args: Parameters<typeof writeFileSync>) =>
  writeFileSync(...args)) as typeof writeFile;
