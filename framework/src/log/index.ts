/** Output: the build log (headers, steps, details, warnings, timings), lines held for work run ahead, and how sizes and durations read in it. */
export * from "./command-line.js";
export * from "./format-bytes.js";
export * from "./logger.js";
export * from "./held.js";
