import { defineConfig } from "vitest/config";
import BaseImagesLastSequencer from "./test/support/base-images-last-sequencer.js";

// One runner for the whole monorepo. Unit tests sit beside their code; cross-package and
// end-to-end tests live in test/ and use real parts (lifecycle, runc, registry), so they
// get longer timeouts. Timeouts are safety nets, never speed assertions (see bench/).
export default defineConfig({
  test: {
    include: [
      "framework/**/*.test.ts",
      "builder-packager/**/*.test.ts",
      "buildpacks/**/*.test.ts",
      "tools/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "**/dist/**", "templates/**"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: "forks",
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
