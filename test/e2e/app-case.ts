/**
 * The case runner of the Node.js e2e tables (node-fixtures, node-corpus): build a fixture app
 * with the reference builder, check the build output, then ask the running image over HTTP
 * or check that the build failed as it should.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { type Binding, type BuildOptions, buildApp } from "../../builder-packager/src/platform/index.js";
import { fixtureApp, getFromImage, useReferenceBuilder } from "./support.js";

/**
 * The answer a corpus fixture's server gives: `200 <fixture>: <says>` (`says` is a regex source).
 *
 * @example
 * answer: fixtureAnswer("express-npm", "express 4\\.22\\.3")
 */
export const fixtureAnswer = (fixture: string, says: string): RegExp => new RegExp(`^200 ${fixture}: ${says}\\n$`);

/** One fixture app of the Node.js e2e tables: how to build it and what must come out. */
export type AppCase = {
  fixture: string;
  /** Files written over (or, when no such fixture dir exists, instead of) the fixture's. */
  files?: Record<string, string>;
  /** Runs on the copy before the build (e.g. a real tool making what the user would commit). */
  prepare?: (dir: string) => Promise<void>;
  /** Build env (`--env`). */
  env?: Record<string, string>;
  /** More build options (e.g. `phases` and `phaseFlags`). */
  build?: Partial<BuildOptions>;
  /** Lines the build output must have. */
  output: RegExp[];
} & (
  | { /** The HTTP status and body of GET /. */ answer: RegExp; expectFailure?: undefined }
  | {
      /** The build must fail with an error message that matches. */
      expectFailure: RegExp;
      /** And with a hint (the line under the error, e.g. the fix) that matches. */
      expectHint?: RegExp;
      answer?: undefined;
    }
);

/**
 * Builds a copy of fixture `c.fixture` with `builder` (what `cnbkit build` runs), checks the
 * output lines, then runs the image and asks it over HTTP, or checks that the build failed
 * as expected. Prints the build time; removes the app copy, image and build cache it made.
 */
export async function buildAndAsk(c: AppCase, builder: string, bindings: Binding[]): Promise<void> {
  const app = await fixtureApp(c.fixture, c.files);
  const work = await mkdtemp(join(tmpdir(), `cnbkit-e2e-${c.fixture}-out-`));
  try {
    await c.prepare?.(app);
    const lines: string[] = [];
    const image = `oci:${join(work, "image")}:latest`;
    const t0 = Date.now();
    const built = buildApp({
      appDir: app,
      builder,
      output: image,
      cacheDir: join(work, "cache"),
      bindings,
      env: c.env ?? {},
      ...c.build,
      onOutput: (l) => lines.push(l),
    });
    const error = await built.then(
      () => undefined,
      (e: Error) => e,
    );
    const tail = lines.slice(-40).join("\n");
    if (c.expectFailure) {
      console.log(`${c.fixture}: build ${error ? "failed" : "passed"} in ${Date.now() - t0} ms: ${error?.message}`);
      expect(error, `the build should fail\n${tail}`).toBeInstanceOf(Error);
      expect(error?.message).toMatch(c.expectFailure);
      if (c.expectHint) expect((error as Error & { hint?: string }).hint).toMatch(c.expectHint);
    } else if (error) {
      throw new Error(`${error.message}\n${tail}`);
    } else {
      console.log(`${c.fixture}: cold build ${Date.now() - t0} ms`);
    }
    for (const re of c.output) expect(lines.join("\n")).toMatch(re);
    if (c.answer) expect(await getFromImage(image)).toMatch(c.answer);
  } finally {
    await rm(app, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Registers a Node.js e2e table: the reference builder and CA binding made before the file's
 * tests, then one test a case, built and asked by {@link buildAndAsk}. Two builds at a time:
 * each waits on npm, runc and the disk more than on a CPU (see vitest.config.ts).
 */
export function testAppCases(cases: Record<string, AppCase>): void {
  const ref = useReferenceBuilder();
  test.concurrent.each(Object.entries(cases))("%s", (_name, c) => buildAndAsk(c, ref.builder, ref.bindings), 900_000);
}
