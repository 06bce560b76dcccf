/**
 * The promise-returning file system calls the framework uses, made from Node's callback API
 * with `util.promisify`, each on its first call.
 *
 * Why not `node:fs/promises`: on Node 26 loading it also loads readline's line reader
 * (for `FileHandle.readLines`), about 8 ms of every bin/detect — a third of what the
 * framework adds to a detect. Why on first call: promisifying eleven functions when the
 * module loads costs ~1 ms of every detect, which calls none of them (it uses now.ts).
 * Modules that only run in build (layers, SBOMs, downloads, archives) use
 * `node:fs/promises` directly.
 */
import {
  chmod as chmodCallback,
  copyFile as copyFileCallback,
  mkdir as mkdirCallback,
  readdir as readdirCallback,
  readFile as readFileCallback,
  realpath as realpathCallback,
  rename as renameCallback,
  rm as rmCallback,
  stat as statCallback,
  symlink as symlinkCallback,
  writeFile as writeFileCallback,
} from "node:fs";
import { promisify } from "node:util";

/** `make()`'s function, made when it is first called. */
// biome-ignore lint/suspicious/noExplicitAny: any function shape; the caller's type is kept
function onFirstCall<F extends (...args: any[]) => unknown>(make: () => F): F {
  let fn: F | undefined;
  return ((...args: Parameters<F>) => {
    fn ??= make();
    return fn(...args);
  }) as F;
}

/** `fs.promises.readFile`, without loading fs/promises. */
export const readFile = onFirstCall(() => promisify(readFileCallback));
/** `fs.promises.writeFile`, without loading fs/promises. */
export const writeFile = onFirstCall(() => promisify(writeFileCallback));
/** `fs.promises.stat`, without loading fs/promises. */
export const stat = onFirstCall(() => promisify(statCallback));
/** `fs.promises.readdir`, without loading fs/promises. */
export const readdir = onFirstCall(() => promisify(readdirCallback));
/** `fs.promises.mkdir`, without loading fs/promises. */
export const mkdir = onFirstCall(() => promisify(mkdirCallback));
/** `fs.promises.rename`, without loading fs/promises. */
export const rename = onFirstCall(() => promisify(renameCallback));
/** `fs.promises.rm`, without loading fs/promises. */
export const rm = onFirstCall(() => promisify(rmCallback));
/** `fs.promises.chmod`, without loading fs/promises. */
export const chmod = onFirstCall(() => promisify(chmodCallback));
/** `fs.promises.copyFile`, without loading fs/promises. */
export const copyFile = onFirstCall(() => promisify(copyFileCallback));
/** `fs.promises.symlink`, without loading fs/promises. */
export const symlink = onFirstCall(() => promisify(symlinkCallback));
/** `fs.promises.realpath`, without loading fs/promises. */
export const realpath = onFirstCall(() => promisify(realpathCallback));
