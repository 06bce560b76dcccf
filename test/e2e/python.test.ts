/**
 * Python apps through the reference builder (its local variant: cnbkit/python carries a
 * CPython 3.11 made from Debian 12's packages and the default 3.13 from Debian 13's,
 * tools/local-builder/local-python.ts; the committed apps are pinned to 3.11, see appCase):
 * pip + Flask + gunicorn with a Procfile (examples/apps/python-hello) and uv + FastAPI with no
 * Procfile and no version file (fixtures/python-uv-fastapi: its lock's orjson 3.10.4 has no
 * cp313 wheel, so its wheels choose 3.11), Poetry + Django + WhiteNoise with no Procfile
 * (fixtures/python-poetry-django), Pipenv + Flask (buildpacks/python/testdata/pipenv-flask),
 * a Flask app factory with no WSGI server (waitress added), a Flask app in a package's own
 * app.py (Hexlet's page_analyzer layout), and a local sdist with a C extension compiled at
 * build against the headers and sysconfig of the local CPython 3.14, made from Debian unstable's
 * python3.14 (fixtures/python-cext with .python-version 3.14; the build image has gcc),
 * Django behind gunicorn 20 (which imports pkg_resources) on the default CPython 3.13, and a
 * Poetry app with package-mode = false and no poetry.lock started by its console script.
 * Each is built with the real lifecycle under runc, answers HTTP from the built image, has a
 * venv SBOM that lists exactly what `pip list` finds in the image's venv, and .pyc that the
 * image's python uses as they are (the lifecycle dates every file 1980); a second cold build
 * of the uv app gives the same image digest; the pip app's no-op
 * rebuild reuses the cpython and venv layers, a changed requirements.txt reinstalls only the
 * venv, and a source-only edit reinstalls nothing.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { buildApp } from "../../builder-packager/src/platform/index.js";
import { runApp } from "../../builder-packager/src/platform/run.js";
import { unpackImage } from "../../builder-packager/src/container/unpack.js";
import { POETRY_BOTTLE, POETRY_BOTTLE_NO_PACKAGE } from "../../buildpacks/python/src/testing/poetry-bottle.js";
import { fixtureApp, freePort, getFromImage, ROOT, useReferenceBuilder } from "./support.js";

const TIMEOUT = 900_000;
/** Flask 3.1.3 and what it requires, pinned, for the apps the tests make (as examples/apps/python-hello pins them). */
const FLASK_PINS = [
  "flask==3.1.3",
  "blinker==1.9.0",
  "click==8.5.1",
  "itsdangerous==2.2.0",
  "jinja2==3.1.6",
  "markupsafe==3.0.4",
  "werkzeug==3.1.9",
];

const ref = useReferenceBuilder(TIMEOUT);
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/**
 * A copy of an app and a work dir (image, cache) for it, removed after the file's tests. The
 * copy asks for CPython 3.11 (`.python-version`) unless it names a version itself: these cases
 * read the image's venv with this Debian 12 host's python (pip list, the image's own
 * python3.11 on its .pyc), and the local builder's default line is Debian 13's 3.13.
 */
async function appCase(
  name: string,
  from?: string,
  files: Readonly<Record<string, string>> = {},
  { pin = true }: { pin?: boolean } = {},
): Promise<{ app: string; image: string; cacheDir: string }> {
  const app = await fixtureApp(name, { ...files }, from);
  if (pin && !existsSync(join(app, ".python-version"))) await writeFile(join(app, ".python-version"), "3.11\n");
  const work = await mkdtemp(join(tmpdir(), `cnbkit-e2e-${name}-out-`));
  dirs.push(app, work);
  return { app, image: `oci:${join(work, "image")}:latest`, cacheDir: join(work, "cache") };
}

/** {@link appCase} for an app the test writes whole: `files` only, and the version it names or the default line. */
function madeApp(name: string, files: Readonly<Record<string, string>>): ReturnType<typeof appCase> {
  return appCase(name, undefined, files, { pin: false });
}

async function build(c: { app: string; image: string; cacheDir: string }) {
  const lines: string[] = [];
  const t0 = Date.now();
  const r = await buildApp({
    appDir: c.app,
    builder: ref.builder,
    output: c.image,
    cacheDir: c.cacheDir,
    bindings: ref.bindings,
    onOutput: (l) => lines.push(l),
  }).catch((e: Error) => {
    throw new Error(`${e.message}\n${lines.slice(-60).join("\n")}`);
  });
  return { text: lines.join("\n"), ms: Date.now() - t0, digest: r.digest };
}

/** Runs the image once and GETs each path from it: "<status> <body>" per path. */
async function getPaths(image: string, paths: string[]): Promise<string[]> {
  const port = await freePort();
  const lines: string[] = [];
  const app = await runApp({ image, port, env: { HOST: "127.0.0.1" }, onOutput: (l) => lines.push(l) });
  try {
    await app.ready(60_000).catch((e: Error) => {
      throw new Error(`${e.message}\napp output:\n${lines.join("\n")}`);
    });
    const out: string[] = [];
    for (const p of paths) {
      const res = await fetch(`http://127.0.0.1:${port}${p}`);
      out.push(`${res.status} ${await res.text()}`);
    }
    return out;
  } finally {
    await app.stop();
  }
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
  const unpacked = await unpackImage(image);
  try {
    const { rootfs } = unpacked;
    const layer = join(rootfs, "layers/cnbkit_python/venv");
    const cdx = JSON.parse(await readFile(join(rootfs, "layers/sbom/launch/cnbkit_python/venv/sbom.cdx.json"), "utf8"));
    expect(cdx.bomFormat).toBe("CycloneDX");
    const sbom = (cdx.components as { name: string; purl?: string }[]).map((c) => normalize(c.name)).sort();
    for (const c of cdx.components as { purl?: string }[]) expect(c.purl).toMatch(/^pkg:pypi\//);
    return { sbom, pip: pipList(join(layer, "lib/python3.11/site-packages")) };
  } finally {
    // Released, so that pruning may take it: an entry this long-lived process keeps in use
    // counts toward the cache's bound and makes room by evicting the builders others share.
    await unpacked.release();
  }
}

/**
 * What CPython's import system makes of the image's .pyc files: the image's own python, run
 * from the unpacked rootfs (whose files keep the layers' fixed 1980 mtimes), imports
 * `modules` from the venv with -v, which logs each .pyc it uses (" matches ") or finds stale.
 */
async function bytecodeUse(image: string, modules: string[]): Promise<{ used: number; stale: string[] }> {
  const unpacked = await unpackImage(image);
  const python = join(unpacked.rootfs, "layers/cnbkit_python/cpython/bin/python3");
  const site = join(unpacked.rootfs, "layers/cnbkit_python/venv/lib/python3.11/site-packages");
  const code = `import sys; sys.path.insert(0, ${JSON.stringify(site)}); import ${modules.join(", ")}`;
  const r = spawnSync(python, ["-v", "-c", code], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PYTHONDONTWRITEBYTECODE: "1" },
  });
  await unpacked.release();
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  const lines = r.stderr.split("\n");
  return {
    used: lines.filter((l) => l.includes(" matches ") && l.includes(site)).length,
    stale: lines.filter((l) => l.includes("bytecode is stale")),
  };
}

/** The venv SBOM names exactly the distributions `pip list` finds in the image's venv, `has` among them; the list. */
async function expectSbomIsPipList(image: string, has: string[]): Promise<string[]> {
  const { sbom, pip } = await sbomAndPipList(image);
  expect(pip).toEqual(expect.arrayContaining(has));
  expect(sbom.length).toBe(pip.length);
  expect(sbom).toEqual(pip);
  return pip;
}

/** The image's python uses the venv's .pyc for `modules` as they are: none stale, more than 50 used. */
async function expectBytecodeUsed(image: string, modules: string[]): Promise<void> {
  const { used, stale } = await bytecodeUse(image, modules);
  expect(stale).toEqual([]);
  expect(used).toBeGreaterThan(50);
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
    await expectSbomIsPipList(c.image, ["flask", "gunicorn", "werkzeug", "jinja2", "markupsafe"]);
  });

  test("the venv's .pyc compiled at build are used as they are, though the image's files are dated 1980", async () => {
    await expectBytecodeUsed(c.image, ["flask", "gunicorn.app.wsgiapp", "jinja2"]);
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

  test(
    "a changed requirements.txt reinstalls the venv only: the cpython layer's key is unchanged and the image reuses it",
    async () => {
      const req = join(c.app, "requirements.txt");
      await writeFile(req, `${await readFile(req, "utf8")}six==1.17.0\n`);
      const r = await build(c);
      console.log(`pip app: rebuild after a requirements.txt change ${r.ms} ms`);
      expect(r.text).toMatch(/Reusing cpython \(key unchanged\)/);
      expect(r.text).toMatch(/Rebuilding venv: requirements\.txt [0-9a-f]{12}… → [0-9a-f]{12}…/);
      expect(r.text).toMatch(/Running pip install --compile -r requirements\.txt/);
      // CPython's files are unpacked again for pip to run (a launch-only layer has none at
      // build), but they are the same bytes: the exporter keeps the previous image's layer.
      expect(r.text).toMatch(/Reusing layer 'cnbkit\/python:cpython'/);
      expect(r.text).toMatch(/Adding layer 'cnbkit\/python:venv'/);
      expect(r.digest).not.toBe(cold.digest);
      expect((await sbomAndPipList(c.image)).pip).toContain("six");
      expect(await getFromImage(c.image)).toMatch(ANSWER);
    },
    TIMEOUT,
  );

  test(
    "a source-only edit reinstalls nothing: cpython and venv are reused, and the new code is served",
    async () => {
      const appPy = join(c.app, "app.py");
      await writeFile(appPy, (await readFile(appPy, "utf8")).replace("Hello from python-hello", "Edited python-hello"));
      const r = await build(c);
      console.log(`pip app: rebuild after a source-only edit ${r.ms} ms`);
      for (const layer of ["cpython", "venv"]) {
        expect(r.text).toMatch(new RegExp(`Reusing ${layer} \\(key unchanged\\)`));
        expect(r.text).toMatch(new RegExp(`Reusing layer 'cnbkit/python:${layer}'`));
      }
      expect(r.text).toMatch(/Nothing to install: requirements\.txt, CPython 3\.11\.2 and pip \S+ unchanged/);
      expect(r.text).not.toMatch(/Running pip install/);
      expect(r.text).not.toMatch(/Installing CPython/);
      expect(await getFromImage(c.image)).toMatch(/^200 Edited python-hello on CPython 3\.11\.2 with Flask/);
    },
    TIMEOUT,
  );

  test(
    "a Procfile whose gunicorn module is not in the app fails the build with one line naming the line and the module",
    async () => {
      const procfile = join(c.app, "Procfile");
      await writeFile(procfile, (await readFile(procfile, "utf8")).replace(" app:app", " hello:app"));
      const err = await build(c).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(
        /Procfile web: ".*gunicorn .* hello:app" serves module "hello", which is not in the app \(no hello\.py or hello\) nor installed in the venv/,
      );
      // The platform's summary is that one line (the hint stays in the buildpack's own output).
      expect(err?.message.match(/serves module "hello"/g)).toHaveLength(1);
      expect(err?.message).not.toMatch(/\n\s+at \S+ \(/); // no stack trace without BP_LOG_LEVEL=debug
    },
    TIMEOUT,
  );
});

describe.sequential("uv + FastAPI with no Procfile (fixtures/python-uv-fastapi)", () => {
  let c = { app: "", image: "", cacheDir: "" };
  let cold = { text: "", ms: 0, digest: "" };

  // No .python-version: requires-python ">=3.11" allows the default 3.13 too, but the lock's
  // orjson 3.10.4 has wheels up to cp312 only (its sdist needs Rust), so the lock's wheels choose 3.11.
  const pyFree = { pin: false };

  test(
    "a cold build picks CPython 3.11 for the lock's orjson wheels, runs uv sync from the lockfile, infers uvicorn, and the app answers",
    async () => {
      c = await appCase("python-uv-fastapi", join(ROOT, "test/e2e/fixtures/python-uv-fastapi"), {}, pyFree);
      cold = await build(c);
      console.log(`uv app: cold build ${cold.ms} ms`);
      // The range starts from the default line (3.15 and 3.14 are named, not tried first), and
      // the lock's wheels then try 3.11 before the lines newer than the default.
      expect(cold.text).toMatch(
        /pyproject\.toml requires-python ">=3\.11" also allows 3\.15 and 3\.14: using the default line 3\.13/,
      );
      expect(cold.text).toMatch(
        /Selected CPython 3\.11\.2: orjson 3\.10\.4 publishes no wheel for 3\.13 \(uv\.lock\); pin a version to override/,
      );
      expect(cold.text).toMatch(/uv sync/);
      expect(cold.text).not.toMatch(/^cnbkit\/procfile/m);
      expect(cold.text).toMatch(/Adding layer 'cnbkit\/python:venv'/);
      expect(await getFromImage(c.image)).toMatch(
        /^200 Hello from FastAPI on CPython 3\.11\.2 with orjson 3\.10\.4\n$/,
      );
    },
    TIMEOUT,
  );

  test("the venv SBOM lists exactly what pip list finds, without the dev group", async () => {
    const pip = await expectSbomIsPipList(c.image, ["fastapi", "uvicorn", "pydantic", "pydantic-core", "starlette"]);
    expect(pip).not.toContain("iniconfig");
  });

  test("uv's .pyc are used as they are in the image", async () => {
    await expectBytecodeUsed(c.image, ["fastapi", "uvicorn", "pydantic"]);
  });

  test(
    "a second cold build, with an empty cache and another output, gives the same image digest",
    async () => {
      const again = await appCase(
        "python-uv-fastapi-again",
        join(ROOT, "test/e2e/fixtures/python-uv-fastapi"),
        {},
        pyFree,
      );
      const r = await build(again);
      expect(r.text).toMatch(/Running uv sync/);
      expect(r.digest).toBe(cold.digest);
    },
    TIMEOUT,
  );
});

describe.sequential("Poetry + Django + WhiteNoise with no Procfile (fixtures/python-poetry-django)", () => {
  let c = { app: "", image: "", cacheDir: "" };

  test(
    "the lock installed by hash from its export (no poetry sync), collectstatic at build, gunicorn inferred; the page and a static file are served",
    async () => {
      c = await appCase("python-poetry-django", join(ROOT, "test/e2e/fixtures/python-poetry-django"));
      const cold = await build(c);
      console.log(`poetry + django app: cold build ${cold.ms} ms`);
      // Exported from the lock and installed by hash: no Poetry resolver, no JSON API.
      expect(cold.text).toMatch(/Running uv pip install --require-hashes --no-deps --compile-bytecode -r <the export>/);
      expect(cold.text).toMatch(/Django static files \(manage\.py collectstatic --noinput\)/);
      expect(cold.text).toMatch(/static files? copied to '\/workspace\/staticfiles'/);
      expect(cold.text).toMatch(/web: sh -c 'exec gunicorn .* mysite\.wsgi:application'/);
      expect(cold.text).not.toMatch(/^cnbkit\/procfile/m);
      const [page, css] = await getPaths(c.image, ["/", "/static/site.css"]);
      expect(page).toBe("200 hello from django");
      expect(css).toMatch(/^200 body \{\n\s+color: green;/);
    },
    TIMEOUT,
  );

  test("the venv SBOM lists exactly what pip list finds: Django and its dependencies, WhiteNoise, gunicorn", async () => {
    await expectSbomIsPipList(c.image, ["django", "asgiref", "sqlparse", "gunicorn", "whitenoise"]);
  });

  test("the .pyc uv compiled from the lock's export are used as they are in the image", async () => {
    await expectBytecodeUsed(c.image, ["django.core.wsgi", "whitenoise", "gunicorn.app.wsgiapp"]);
  });
});

describe.sequential("Pipenv + Flask (buildpacks/python/testdata/pipenv-flask)", () => {
  let c = { app: "", image: "", cacheDir: "" };

  test(
    "a lock an older Pipenv hashed is in sync, pipenv sync installs it, gunicorn inferred, and the app answers",
    async () => {
      c = await appCase("python-pipenv-flask", join(ROOT, "buildpacks/python/testdata/pipenv-flask"));
      const cold = await build(c);
      console.log(`pipenv app: cold build ${cold.ms} ms`);
      expect(cold.text).toContain("Pipfile.lock matches Pipfile as hashed by Pipenv before 2026.4");
      expect(cold.text).toMatch(/Running pipenv sync/);
      expect(cold.text).toMatch(/web: sh -c 'exec gunicorn .* app:app'/);
      expect(await getFromImage(c.image)).toBe("200 hello from pipenv");
    },
    TIMEOUT,
  );

  test("the venv SBOM lists exactly what pip list finds: Flask, its dependencies and gunicorn", async () => {
    await expectSbomIsPipList(c.image, ["flask", "werkzeug", "jinja2", "markupsafe", "click", "gunicorn"]);
  });
});

describe.sequential("a Flask app factory with no WSGI server among its dependencies (made by the test)", () => {
  test(
    "waitress is added in a layer of its own and calls the factory; the venv's python serves the app",
    async () => {
      const c = await madeApp("python-flask-factory", {
        "requirements.txt": [...FLASK_PINS, ""].join("\n"),
        // The Flask tutorial's shape: the app is made by create_app() in a package.
        "hello/__init__.py": [
          "import flask",
          "from flask import Flask",
          "",
          "",
          "def create_app(test_config=None):",
          "    app = Flask(__name__)",
          "",
          "    @app.get('/')",
          "    def index():",
          "        import waitress  # served by it: the import shows both layers are on the path",
          "        return f'hello from flask {flask.__version__} behind waitress'",
          "",
          "    return app",
          "",
        ].join("\n"),
      });
      const cold = await build(c);
      expect(cold.text).toMatch(/web: from Flask app factory create_app\(\) in hello\/__init__\.py; .*adding waitress/);
      expect(cold.text).toMatch(/--call hello:create_app/);
      expect(cold.text).toMatch(/Adding layer 'cnbkit\/python:waitress'/);
      expect(await getPaths(c.image, ["/"])).toEqual(["200 hello from flask 3.1.3 behind waitress"]);
    },
    TIMEOUT,
  );
});

describe.sequential("a Flask app in a package's own app.py, re-exported by its __init__.py (made by the test)", () => {
  test(
    "Hexlet's page_analyzer layout: gunicorn serves page_analyzer.app:app, found with no Procfile",
    async () => {
      const c = await madeApp("python-package-app", {
        "requirements.txt": [...FLASK_PINS, "gunicorn==27.0.1", ""].join("\n"),
        "page_analyzer/__init__.py": "from page_analyzer.app import app  # noqa: F401\n",
        "page_analyzer/app.py": [
          "from flask import Flask",
          "",
          "app = Flask(__name__)",
          "",
          "",
          "@app.get('/')",
          "def index():",
          "    return 'page analyzer'",
          "",
        ].join("\n"),
        "tests/test_app.py": "def test_nothing():\n    pass\n",
      });
      const cold = await build(c);
      expect(cold.text).toMatch(/web: from Flask app in page_analyzer\/app\.py; gunicorn is a dependency/);
      expect(await getPaths(c.image, ["/"])).toEqual(["200 page analyzer"]);
    },
    TIMEOUT,
  );
});

describe.sequential("Poetry from PyPI, whose JSON API this machine's proxy does not serve (POETRY_BOTTLE)", () => {
  let c = { app: "", image: "", cacheDir: "" };

  test(
    "the lock's main group installs by hash, the project editable; its start script's Bottle app is served on $PORT",
    async () => {
      c = await appCase("python-poetry-bottle", undefined, POETRY_BOTTLE);
      const cold = await build(c);
      console.log(`poetry + bottle app: cold build ${cold.ms} ms`);
      expect(cold.text).not.toMatch(/Unable to find installation candidates/);
      expect(cold.text).toMatch(/Exported poetry\.lock's main dependencies .*: 3 distributions/);
      expect(cold.text).toMatch(/web: from Bottle app hello\.server:app, the console script "start"/);
      expect(cold.text).toMatch(/migrate: the console script "migrate"/);
      expect(await getPaths(c.image, ["/"])).toEqual(["200 hello from bottle 0.13.2"]);
    },
    TIMEOUT,
  );

  test("the venv SBOM lists exactly what pip list finds: the main group and the project, no dev group", async () => {
    const { sbom, pip } = await sbomAndPipList(c.image);
    expect(pip).toEqual(["bottle", "gunicorn", "hello", "packaging"]);
    expect(sbom).toEqual(pip);
  });
});

describe.sequential("Poetry with package-mode = false and no poetry.lock, started by its script (POETRY_BOTTLE_NO_PACKAGE)", () => {
  test(
    "Poetry locks through the simple index, the lock installs by hash, serve runs its entry point with python -c and Bottle answers on $PORT; the image has the app's own files",
    async () => {
      // No poetry.lock: Poetry's PyPI source (the JSON API, which this machine's proxy lacks)
      // stopped the lock with "Package bottle (0.13.2) not found".
      const { "poetry.lock": _, ...unlocked } = POETRY_BOTTLE_NO_PACKAGE;
      const c = await appCase("python-poetry-no-package", undefined, unlocked);
      const cold = await build(c);
      console.log(`poetry package-mode = false app, no lock: cold build ${cold.ms} ms`);
      expect(cold.text).toContain(
        'pyproject.toml uses Poetry but has no poetry.lock: Poetry locks during the build, so versions can change between builds; run "poetry lock" and commit poetry.lock',
      );
      expect(cold.text).toMatch(/Locking with Poetry through https:\/\/pypi\.org\/simple\/ \(PyPI's simple index\)/);
      expect(cold.text).toMatch(
        /Exported poetry\.lock's main dependencies .*: 3 distributions, each with its files' hashes/,
      );
      expect(cold.text).toMatch(
        /web: from the project's console script "serve" \(hello\.cli:run, run by python -c: Poetry installs no scripts with package-mode = false\)/,
      );
      expect(await getPaths(c.image, ["/"])).toEqual(["200 hello from a script, bottle 0.13.2"]);
      const unpacked = await unpackImage(c.image);
      try {
        const workspace = join(unpacked.rootfs, "workspace");
        expect(await readFile(join(workspace, "pyproject.toml"), "utf8")).toBe(unlocked["pyproject.toml"]);
        expect(existsSync(join(workspace, "poetry.lock"))).toBe(false);
      } finally {
        await unpacked.release();
      }
    },
    TIMEOUT,
  );
});

describe.sequential("a WSGI function in main.py with no framework and no requirements file (made by the test)", () => {
  test(
    "waitress is added and serves main:app on $PORT (python main.py returned at once)",
    async () => {
      const main = [
        "import sys",
        "",
        "",
        "def app(environ, start_response):",
        "    start_response('200 OK', [('Content-Type', 'text/plain')])",
        "    return [f'plain WSGI on {sys.version.split()[0]}'.encode()]",
        "",
      ].join("\n");
      const c = await appCase("python-plain-wsgi", undefined, { "main.py": main });
      const cold = await build(c);
      expect(cold.text).toMatch(
        /web: from WSGI app in main\.py; no WSGI server among the dependencies, adding waitress/,
      );
      expect(await getPaths(c.image, ["/"])).toEqual(["200 plain WSGI on 3.11.2"]);
    },
    TIMEOUT,
  );
});

describe.sequential("Django with gunicorn 20, which imports pkg_resources, on the default CPython (made by the test)", () => {
  test(
    "pip's newest setuptools (no pkg_resources) is replaced by the inventory's 81.0.0 with one line; gunicorn starts and serves Django",
    async () => {
      // No .python-version: the default line (3.13), where venvs have no setuptools of their own.
      const c = await madeApp("python-gunicorn20", {
        "requirements.txt": ["django==5.2.1", "asgiref==3.13.0", "sqlparse==0.6.1", "gunicorn==20.1.0", ""].join("\n"),
        "manage.py": [
          "import os",
          "import sys",
          "",
          'if __name__ == "__main__":',
          '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")',
          "    from django.core.management import execute_from_command_line",
          "",
          "    execute_from_command_line(sys.argv)",
          "",
        ].join("\n"),
        "mysite/__init__.py": "",
        "mysite/settings.py": [
          'SECRET_KEY = "test-only-not-secret"',
          "DEBUG = False",
          'ALLOWED_HOSTS = ["*"]',
          "INSTALLED_APPS = []",
          'ROOT_URLCONF = "mysite.urls"',
          'WSGI_APPLICATION = "mysite.wsgi.application"',
          "",
        ].join("\n"),
        "mysite/urls.py": [
          "import platform",
          "",
          "import gunicorn",
          "from django.http import HttpResponse",
          "from django.urls import path",
          "",
          "",
          "def index(request):",
          '    return HttpResponse(f"django behind gunicorn {gunicorn.__version__} on CPython {platform.python_version()}")',
          "",
          "",
          'urlpatterns = [path("", index)]',
          "",
        ].join("\n"),
        "mysite/wsgi.py": [
          "import os",
          "",
          "from django.core.wsgi import get_wsgi_application",
          "",
          'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")',
          "application = get_wsgi_application()",
          "",
        ].join("\n"),
      });
      const cold = await build(c);
      console.log(`gunicorn 20 + Django app: cold build ${cold.ms} ms`);
      expect(cold.text).toMatch(
        /gunicorn 20\.1\.0 requires setuptools>=3\.0 for pkg_resources, which setuptools 82 removed: installed setuptools 81\.0\.0 in place of \d+\.\d+\.\d+/,
      );
      expect(cold.text).toMatch(/web: .*gunicorn/);
      const [answer] = await getPaths(c.image, ["/"]);
      expect(answer).toMatch(/^200 django behind gunicorn 20\.1\.0 on CPython 3\.13\.\d+$/);
    },
    TIMEOUT,
  );
});

describe.sequential("builds that must fail (made by the test)", () => {
  async function failure(name: string, files: Record<string, string>): Promise<Error | undefined> {
    const c = await appCase(name, undefined, files);
    return build(c).then(
      () => undefined,
      (e: Error) => e,
    );
  }

  test(
    "a .python-version holding no version: non-zero exit, one line, no stack trace",
    async () => {
      const err = await failure("python-empty-version", { ".python-version": "# pinned later\n\n", "main.py": "" });
      expect(err?.message).toMatch(/\.python-version: the file holds no version \(only comments or blank lines\)/);
      expect(err?.message.match(/the file holds no version/g)).toHaveLength(1);
      expect(err?.message).not.toMatch(/\n\s+at \S+ \(/);
    },
    TIMEOUT,
  );

  test(
    "no entry point at all (no Procfile, start file, app object or script): non-zero exit, one line, no stack trace",
    async () => {
      const err = await failure("python-no-entry", {
        "requirements.txt": "six==1.17.0\n",
        "lib/__init__.py": "",
        "lib/util.py": "X = 1\n",
      });
      expect(err?.message).toMatch(/No start command: no app object/);
      expect(err?.message.match(/No start command/g)).toHaveLength(1);
      expect(err?.message).not.toMatch(/\n\s+at \S+ \(/);
    },
    TIMEOUT,
  );
});

describe.sequential("a local sdist with a C extension on CPython 3.14 (fixtures/python-cext, .python-version 3.14)", () => {
  test(
    "the 3.14 made from Debian unstable's python3.14 is installed; gcc compiles the extension against its headers and sysconfig; the image imports termios, curses, ssl, sqlite3, ctypes, readline and serves its answer",
    async () => {
      const c = await appCase("python-cext", join(ROOT, "test/e2e/fixtures/python-cext"), {
        ".python-version": "3.14\n",
      });
      const cold = await build(c);
      console.log(`python 3.14 C extension app: cold build ${cold.ms} ms`);
      expect(cold.text).toMatch(/Selected CPython 3\.14\.\d+/);
      expect(cold.text).toMatch(/Building wheel for cnbkit-cext|Successfully installed cnbkit-cext/);
      // The extension's own file name carries 3.14's ABI tag: built by and for the layer's CPython.
      expect(await getPaths(c.image, ["/"])).toEqual([
        expect.stringMatching(
          /^200 hello from C on CPython 3\.14\.\d+ \(cnbkit_cext\.cpython-314-x86_64-linux-gnu\.so\); imported ctypes curses pty readline sqlite3 ssl termios tty\n$/,
        ),
      ]);
    },
    TIMEOUT,
  );
});

describe.sequential("an app that asks for CPython 3.13 (.python-version), on the Debian 13 images", () => {
  test(
    "the 3.13 made from Debian 13's python3.13 is installed, and gunicorn serves the app on it",
    async () => {
      const c = await madeApp("python-313", {
        ".python-version": "3.13\n",
        "requirements.txt": [...FLASK_PINS, "gunicorn==27.0.1", ""].join("\n"),
        "app.py": [
          "import platform, ssl, sqlite3",
          "from flask import Flask",
          "",
          "app = Flask(__name__)",
          "",
          "",
          "@app.get('/')",
          "def index():",
          "    return f'CPython {platform.python_version()} with sqlite {sqlite3.sqlite_version}'",
          "",
        ].join("\n"),
      });
      const cold = await build(c);
      console.log(`python 3.13 app: cold build ${cold.ms} ms`);
      expect(cold.text).toMatch(/\.python-version/);
      expect(cold.text).toMatch(/Adding layer 'cnbkit\/python:cpython'/);
      const [answer] = await getPaths(c.image, ["/"]);
      console.log(`python 3.13 app answers: ${answer}`);
      expect(answer).toMatch(/^200 CPython 3\.13\.\d+ with sqlite 3\.\d+/);
    },
    TIMEOUT,
  );
});
