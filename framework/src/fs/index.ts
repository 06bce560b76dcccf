/**
 * File system steps taken with care: the detect path's promise-returning calls (without
 * loading `node:fs/promises`), atomic writes, and "is this a regular file".
 */
export * from "./is-file.js";
export * from "./promised.js";
export * from "./write-atomic.js";
