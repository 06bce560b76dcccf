/** Errors: {@link CnbError}, the one-line, user-fixable error every part of the framework throws. */
export * from "./cnb-error.js";
