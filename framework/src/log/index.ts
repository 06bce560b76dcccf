/** Output: the build log (headers, steps, details, warnings, timings) and how sizes and durations read in it. */
export * from "./command-line.js";
export * from "./format-bytes.js";
export * from "./logger.js";
