/**
 * File system steps taken with care: promise-returning calls (without loading
 * `node:fs/promises`), the detect path's calls done at once, atomic writes, and "is this a regular file".
 */
export * from "./is-file.js";
export * from "./now.js";
export * from "./promised.js";
export * from "./write-atomic.js";
