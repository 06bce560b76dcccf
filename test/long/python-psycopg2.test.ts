/**
 * The long suite's native-dependency case (issue 75, from fastapi-realworld): an app whose
 * requirement is psycopg2 built from its sdist (PyPI has no Linux wheel of it), as an old
 * psycopg2-binary pin with no wheel for the chosen CPython is. The build image's pg_config and
 * libpq headers (libpq-dev) let pip compile it; the run image's libpq5 lets `import psycopg2`
 * load it. Long, not CI: compiling psycopg2 takes most of a minute on 2 cores; the packages
 * themselves are checked by base/images.test.ts.
 */
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { getFromImage, referenceApps, ROOT } from "../e2e/support.js";

const TIMEOUT = 1_200_000;
const { appCase, build } = referenceApps();

describe("psycopg2 from its sdist (fixtures/python-psycopg2)", () => {
  test(
    "pip builds it against the build image's pg_config and libpq headers; the image imports it and answers with its version",
    async () => {
      const c = await appCase("python-psycopg2", {}, join(ROOT, "test/long/fixtures/python-psycopg2"));
      const { text, ms } = await build(c);
      console.log(`psycopg2 sdist app: cold build ${ms} ms`);
      expect(text).toMatch(/Building wheel for psycopg2|Successfully installed psycopg2-2\.9\.10/);
      expect(await getFromImage(c.image)).toMatch(/^200 psycopg2 2\.9\.10 \([^)]*\) on libpq \d+\n$/);
    },
    TIMEOUT,
  );
});
