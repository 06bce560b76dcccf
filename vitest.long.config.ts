import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

// The long suite (`npm run test:long`): the same runner, timeouts and caches as CI's, over
// test/long/ only. Its files repeat for more versions (yarn 2 and 3, Next.js with npm) or under
// emulation (base extend of an arm64 image) what a CI test already proves once; run it before a
// release or after touching those paths. Built from the base object, not mergeConfig, which
// would append to the base's include and run everything.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ["test/long/**/*.test.ts"], exclude: ["**/node_modules/**"] },
});
