/**
 * A temp dir per test or per file, made and removed by hooks: see
 * framework/src/testing/test-temp-dir.ts, which the framework's own tests import directly.
 */
export { tempDirPerFile, tempDirPerTest } from "../../framework/src/testing/test-temp-dir.js";
