/**
 * Python apps through the reference builder (its local variant: cnbkit/python carries a
 * CPython 3.11 made from Debian bookworm's packages, builders/reference/local-python.ts):
 * pip + Flask + gunicorn with a Procfile (examples/apps/python-hello) and uv + FastAPI with no
 * Procfile (fixtures/python-uv-fastapi). Each is built with the real lifecycle under runc,
 * answers HTTP from the built image, has a venv SBOM that lists exactly what `pip list` finds
 * in the image's venv, and the pip app's no-op rebuild reuses the cpython and venv layers.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Binding, buildApp } from "../../builder-packager/src/platform/build.js";
import { unpackImage } from "../../builder-packager/src/platform/unpack.js";
import { caBindings, fixtureApp, getFromImage, referenceBuilder, ROOT } from "./support.js";

const TIMEOUT = 900_000;

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

/** A copy of an app and a work dir (image, cache) for it, removed after the file's tests. */
async function appCase(name: string, from: string): Promise<{ app: string; image: string; cacheDir: string }> {
  const app = await fixtureApp(name, {}, from);
  const work = await mkdtemp(join(tmpdir(), `cnbkit-e2e-${name}-out-`));
  dirs.push(app, work);
  return { app, image: `oci:${join(work, "image")}:latest`, cacheDir: join(work, "cache") };
}

async function build(c: { app: string; image: string; cacheDir: string }) {
  const lines: string[] = [];
  const t0 = Date.now();
  const r = await buildApp({
    appDir: c.app,
    builder,
    output: c.image,
    cacheDir: c.cacheDir,
    bindings,
    onOutput: (l) => lines.push(l),
  }).catch((e: Error) => {
    throw new Error(`${e.message}\n${lines.slice(-60).join("\n")}`);
  });
  return { text: lines.join("\n"), ms: Date.now() - t0, digest: r.digest };
}

/** The lower-cased, normalized names of the distributions `pip list` finds in a site-packages dir. */
function pipList(sitePackages: string): string[] {
  const r = spawnSync("python3", ["-m", "pip", "list", "--path", sitePackages, "--format", "json"], {
    encoding: "utf8",
    env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" },
  });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { name: string }[]).map((d) => normalize(d.name)).sort();
}

/** PEP 503 name normalization. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The venv SBOM's component names and the `pip list` of the image's venv. */
async function sbomAndPipList(image: string): Promise<{ sbom: string[]; pip: string[] }> {
  const { rootfs } = await unpackImage(image);
  const layer = join(rootfs, "layers/cnbkit_python/venv");
  const cdx = JSON.parse(await readFile(join(rootfs, "layers/sbom/launch/cnbkit_python/venv/sbom.cdx.json"), "utf8"));
  expect(cdx.bomFormat).toBe("CycloneDX");
  const sbom = (cdx.components as { name: string; purl?: string }[]).map((c) => normalize(c.name)).sort();
  for (const c of cdx.components as { purl?: string }[]) expect(c.purl).toMatch(/^pkg:pypi\//);
  return { sbom, pip: pipList(join(layer, "lib/python3.11/site-packages")) };
}

describe.sequential("pip + Flask + gunicorn with a Procfile (examples/apps/python-hello)", () => {
  const ANSWER = /^200 Hello from python-hello on CPython 3\.11\.2 with Flask 3\.1\.3, up \d+\.\d s\n$/;
  let c = { app: "", image: "", cacheDir: "" };
  let cold = { text: "", ms: 0, digest: "" };

  test(
    "a cold build installs the pinned requirements into the venv, and the Procfile's gunicorn answers",
    async () => {
      c = await appCase("python-hello", join(ROOT, "examples/apps/python-hello"));
      cold = await build(c);
      console.log(`pip app: cold build ${cold.ms} ms`);
      expect(cold.text).toMatch(/^cnbkit\/python\s+\S+$/m);
      expect(cold.text).toMatch(/^cnbkit\/procfile\s+\S+$/m);
      expect(cold.text).toMatch(/Adding layer 'cnbkit\/python:cpython'/);
      expect(cold.text).toMatch(/Adding layer 'cnbkit\/python:venv'/);
      expect(await getFromImage(c.image)).toMatch(ANSWER);
    },
    TIMEOUT,
  );

  test("the venv SBOM lists exactly the distributions pip list finds in the image's venv", async () => {
    const { sbom, pip } = await sbomAndPipList(c.image);
    expect(pip).toEqual(expect.arrayContaining(["flask", "gunicorn", "werkzeug", "jinja2", "markupsafe"]));
    expect(sbom.length).toBe(pip.length);
    expect(sbom).toEqual(pip);
  });

  test(
    "a no-op rebuild reuses the cpython and venv layers, says why, and gives the same image",
    async () => {
      const warm = await build(c);
      console.log(`pip app: cold build ${cold.ms} ms, warm no-op rebuild ${warm.ms} ms`);
      for (const layer of ["cpython", "venv"]) {
        expect(warm.text).toMatch(new RegExp(`Reusing ${layer} \\(key unchanged\\)`)); // the buildpack's decision
        expect(warm.text).toMatch(new RegExp(`Reusing layer 'cnbkit/python:${layer}'`)); // the exporter's
      }
      expect(warm.digest).toBe(cold.digest);
      expect(await getFromImage(c.image)).toMatch(ANSWER);
    },
    TIMEOUT,
  );
});

describe.sequential("uv + FastAPI with no Procfile (fixtures/python-uv-fastapi)", () => {
  let c = { app: "", image: "", cacheDir: "" };

  test(
    "a cold build runs uv sync from the lockfile, infers uvicorn, and the app answers",
    async () => {
      c = await appCase("python-uv-fastapi", join(ROOT, "test/e2e/fixtures/python-uv-fastapi"));
      const cold = await build(c);
      console.log(`uv app: cold build ${cold.ms} ms`);
      expect(cold.text).toMatch(/uv sync/);
      expect(cold.text).not.toMatch(/^cnbkit\/procfile/m);
      expect(cold.text).toMatch(/Adding layer 'cnbkit\/python:venv'/);
      expect(await getFromImage(c.image)).toMatch(/^200 Hello from FastAPI on CPython 3\.11\.2\n$/);
    },
    TIMEOUT,
  );

  test("the venv SBOM lists exactly what pip list finds, without the dev group", async () => {
    const { sbom, pip } = await sbomAndPipList(c.image);
    expect(pip).toEqual(expect.arrayContaining(["fastapi", "uvicorn", "pydantic", "pydantic-core", "starlette"]));
    expect(pip).not.toContain("iniconfig");
    expect(sbom.length).toBe(pip.length);
    expect(sbom).toEqual(pip);
  });
});
