/**
 * The long suite's native-dependency case (issue 75, from fastapi-realworld): an app whose
 * requirement is psycopg2 built from its sdist (PyPI has no Linux wheel of it), as an old
 * psycopg2-binary pin with no wheel for the chosen CPython is. The build image's pg_config and
 * libpq headers (libpq-dev) let pip compile it; the run image's libpq5 lets `import psycopg2`
 * load it. Long, not CI: compiling psycopg2 takes most of a minute on 2 cores; the packages
 * themselves are checked by base/images.test.ts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Binding, buildApp } from "../../builder-packager/src/platform/index.js";
import { caBindings, fixtureApp, getFromImage, referenceBuilder, ROOT } from "../e2e/support.js";

const TIMEOUT = 1_200_000;

let builder = "";
let bindings: Binding[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  builder = await referenceBuilder();
  bindings = await caBindings();
}, TIMEOUT);
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("psycopg2 from its sdist (fixtures/python-psycopg2)", () => {
  test(
    "pip builds it against the build image's pg_config and libpq headers; the image imports it and answers with its version",
    async () => {
      const app = await fixtureApp("python-psycopg2", {}, join(ROOT, "test/long/fixtures/python-psycopg2"));
      const work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-psycopg2-out-"));
      dirs.push(app, work);
      const image = `oci:${join(work, "image")}:latest`;
      const lines: string[] = [];
      const t0 = Date.now();
      await buildApp({
        appDir: app,
        builder,
        output: image,
        cacheDir: join(work, "cache"),
        bindings,
        onOutput: (l) => lines.push(l),
      }).catch((e: Error) => {
        throw new Error(`${e.message}\n${lines.slice(-60).join("\n")}`);
      });
      console.log(`psycopg2 sdist app: cold build ${Date.now() - t0} ms`);
      expect(lines.join("\n")).toMatch(/Building wheel for psycopg2|Successfully installed psycopg2-2\.9\.10/);
      expect(await getFromImage(image)).toMatch(/^200 psycopg2 2\.9\.10 \([^)]*\) on libpq \d+\n$/);
    },
    TIMEOUT,
  );
});
