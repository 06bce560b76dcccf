/**
 * `@cnbkit/framework/fs`: what code outside the framework uses of its file system steps.
 * `writeAtomic` (write a temp file, then rename: a reader never sees half a file) and
 * `isFile` (a regular file here, without throwing for a missing one) are for tools;
 * `readFile`, `writeFile` and `mkdir` are `fs.promises`' own, for a buildpack whose detect
 * must not load `node:fs/promises` (promised.ts says what that costs). `treeDigest` is the
 * digest of an app's sources that cache keys use (the framework's own appOutput keys on it).
 *
 * The framework's own modules import the file that defines a call (promised.ts, now.ts),
 * not this index: the detect path's reads done at once (now.ts) stay internal.
 */
export { globToRegExp } from "./glob.js";
export { isFile } from "./is-file.js";
export { type TreeDigestOptions, treeDigest } from "./tree-digest.js";
export { mkdir, readFile, writeFile } from "./promised.js";
export { type WriteAtomicOptions, writeAtomic } from "./write-atomic.js";
