import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

// The cluster suite (test/cluster/, issue 56): a one-node Kubernetes from scripts/cluster.sh.
// Its own run, outside test:all (whose config excludes test/cluster/), one file at a time: each
// file brings up a cluster of its own. The base config's fields are replaced, not merged
// (mergeConfig would append to its include and keep its exclude).
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/cluster/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    maxWorkers: 1,
  },
});
