/**
 * A temp dir for a test file's tests, made and removed by hooks this registers: the four hook
 * lines (mkdtemp in beforeEach, rm in afterEach, or the per-file pair) that some twenty unit
 * test files each wrote. The dir is `/tmp/cnbkit-<prefix>-*`, as every test's temp dir is named.
 *
 * Here, beside the framework's own tests (which may import nothing outside framework/), and
 * re-exported for the rest of the repo's tests by test/support/temp-dir.ts; named test-*.ts so
 * the published package leaves it out.
 *
 * `set` hands the dir to the file's own variable, so test bodies read it as they did:
 *
 * @example
 * let dir: string;
 * tempDirPerTest("fs", (d) => {
 *   dir = d;
 * });
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";

/** A fresh dir before each test (in the enclosing describe, if any), removed after it. */
export function tempDirPerTest(prefix: string, set: (dir: string) => void): void {
  tempDirHooks(prefix, set, beforeEach, afterEach);
}

/** One dir for all the file's (or the describe's) tests, made before the first and removed after the last. */
export function tempDirPerFile(prefix: string, set: (dir: string) => void): void {
  tempDirHooks(prefix, set, beforeAll, afterAll);
}

function tempDirHooks(
  prefix: string,
  set: (dir: string) => void,
  before: (fn: () => Promise<void>) => void,
  after: (fn: () => Promise<void>) => void,
): void {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `cnbkit-${prefix}-`));
    set(dir);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
}
