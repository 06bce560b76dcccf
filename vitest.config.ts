import { join } from "node:path";
import { defineConfig } from "vitest/config";
import { cnbkitCacheDir } from "./builder-packager/src/cache/dir.js";
import BaseImagesLastSequencer from "./test/support/base-images-last-sequencer.js";

// One runner for the whole monorepo. Unit tests sit beside their code; cross-package and
// end-to-end tests live in test/ and use real parts (lifecycle, runc, registry), so they
// get longer timeouts. Timeouts are safety nets, never speed assertions (see bench/).
export default defineConfig({
  // vitest's results cache (each file's last duration, and whether it failed) lives beside
  // cnbkit's other caches, not in node_modules: a fresh clone on a machine that ran the suite
  // before then starts the longest files first, so the run does not end on one long file
  // while the other workers sit idle.
  cacheDir: join(cnbkitCacheDir(), "vitest"),
  test: {
    include: [
      "framework/**/*.test.ts",
      "builder-packager/**/*.test.ts",
      "buildpacks/**/*.test.ts",
      "tools/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    // Two suites of their own, never part of test:all: test/long/ (vitest.long.config.ts, `npm
    // run test:long`), cases whose code path a CI test already takes, kept out of CI's 40
    // minutes; test/cluster/ (vitest.cluster.config.ts, `npm run test:cluster`), which brings up
    // a Kubernetes cluster.
    exclude: ["**/node_modules/**", "**/dist/**", "templates/**", "test/long/**", "test/cluster/**"],
    // Safety nets only: with two files at a time on two cores a build can take twice as long.
    testTimeout: 300_000,
    hookTimeout: 600_000,
    pool: "forks",
    // Two test files at a time (vitest's default here is one: CPUs - 1). Builds wait on the
    // network, runc and the disk, so two overlap well; three did not go faster (46 min against
    // 45: the two cores were busy already), so CPU time is what to cut. Shared caches take
    // locks, servers bind free ports, and each file is its own process.
    // CNBKIT_TEST_WORKERS=1 runs one file at a time (to tell a race from a bug).
    maxWorkers: Number(process.env.CNBKIT_TEST_WORKERS ?? 2),
    // Tests marked concurrent (the app tables of node-fixtures and node-corpus) run two at a
    // time: each build waits on npm, runc and the disk more than on a CPU, and with 2 CPUs
    // vitest runs one file at a time.
    maxConcurrency: 2,
    // Base-image files after the rest, the emulated arch's last: scripts/test.sh builds those
    // images in the background meanwhile (see the sequencer).
    sequence: { sequencer: BaseImagesLastSequencer },
    setupFiles: ["test/support/remove-temp-dirs.ts"],
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
