/**
 * The promise-returning file system calls the detect path uses, made from Node's
 * callback API with `util.promisify`.
 *
 * Why not `node:fs/promises`: on Node 26 loading it also loads readline's line reader
 * (for `FileHandle.readLines`), about 8 ms of every bin/detect — a third of what the
 * framework adds to a detect. Modules that only run in build (layers, SBOMs, downloads,
 * archives) use `node:fs/promises` directly.
 */
import * as fs from "node:fs";
import { promisify } from "node:util";

/** `fs.promises.readFile`, without loading fs/promises. */
export const readFile = promisify(fs.readFile);
/** `fs.promises.writeFile`, without loading fs/promises. */
export const writeFile = promisify(fs.writeFile);
/** `fs.promises.stat`, without loading fs/promises. */
export const stat = promisify(fs.stat);
/** `fs.promises.readdir`, without loading fs/promises. */
export const readdir = promisify(fs.readdir);
/** `fs.promises.mkdir`, without loading fs/promises. */
export const mkdir = promisify(fs.mkdir);
/** `fs.promises.rename`, without loading fs/promises. */
export const rename = promisify(fs.rename);
/** `fs.promises.rm`, without loading fs/promises. */
export const rm = promisify(fs.rm);
/** `fs.promises.chmod`, without loading fs/promises. */
export const chmod = promisify(fs.chmod);
/** `fs.promises.copyFile`, without loading fs/promises. */
export const copyFile = promisify(fs.copyFile);
/** `fs.promises.symlink`, without loading fs/promises. */
export const symlink = promisify(fs.symlink);
/** `fs.promises.realpath`, without loading fs/promises. */
export const realpath = promisify(fs.realpath);
