import { describe, expect, test } from "vitest";
import {
  compilerFailure,
  errorLine,
  explainFailure,
  gitFailure,
  invalidMetadata,
  unreachableIndex,
} from "./tool-errors.js";

// What pip 26 prints when setuptools finds no compiler (captured on this machine, CC pointing nowhere).
const PIP_NO_CC = `Building wheels for collected packages: cnbkit-cext
  Building wheel for cnbkit-cext (pyproject.toml): started
  error: subprocess-exited-with-error
  × Building wheel for cnbkit-cext (pyproject.toml) did not run successfully.
      running build_ext
      building 'cnbkit_cext' extension
      /nonexistent/gcc -Wsign-compare -DNDEBUG -g -fwrapv -O3 -Wall -fPIC -c cnbkit_cext.c -o build/temp/cnbkit_cext.o
      error: [Errno 2] No such file or directory: '/nonexistent/gcc'
  ERROR: Failed building wheel for cnbkit-cext
Failed to build cnbkit-cext
ERROR: Could not build wheels for cnbkit-cext, which is required to install pyproject.toml-based projects`;

describe("compilerFailure: a package that needs compiling on an image with no compiler", () => {
  test("pip with setuptools and a missing compiler names the package and the compiler", () => {
    expect(compilerFailure(PIP_NO_CC)?.line).toBe(
      'cnbkit-cext has no wheel for this platform and the build image has no C compiler ("/nonexistent/gcc" not found)',
    );
  });

  test("gcc missing from PATH (distutils' message) in uv's 'Failed to build `pkg==v`' shape", () => {
    const out =
      "  × Failed to build `markupsafe==2.0.1`\n  ╰─▶ error: command 'x86_64-linux-gnu-gcc' failed: No such file or directory";
    expect(compilerFailure(out)?.line).toMatch(/^markupsafe has no wheel .* \("x86_64-linux-gnu-gcc" not found\)$/);
  });

  test("missing CPython headers are their own cause", () => {
    const out =
      "Building wheel for psutil (pyproject.toml)\npsutil/_psutil_common.c:9:10: fatal error: Python.h: No such file or directory";
    expect(compilerFailure(out)?.line).toMatch(/^psutil has no wheel .* needs CPython's headers \(Python\.h\)/);
  });

  test("a missing file that is no compiler is not this cause", () => {
    expect(compilerFailure("error: [Errno 2] No such file or directory: 'requirements-dev.txt'")).toBeUndefined();
  });

  test("explainFailure puts it on one line after the file, with the fix as the hint", () => {
    const e = explainFailure(["pip", "install"], "exit 1", PIP_NO_CC, "requirements.txt");
    expect(e.message).toMatch(
      /^requirements.txt: cnbkit-cext has no wheel for this platform and the build image has no C compiler/,
    );
    expect(e.message).not.toContain("\n");
    expect(e.hint).toMatch(/wheel .* or use a build image with gcc/);
  });
});

// Captured from real builds of outside apps (heroku/python-getting-started's 2017 Pipfile,
// tiangolo/full-stack-fastapi-template's Poetry 1.8 lock behind a proxy without PyPI's JSON API).
test("any other failed source build names the package, with the build's own error", () => {
  const out = `      ImportError: cannot import name 'Feature' from 'setuptools' (/tmp/pip-build-env-x/overlay/lib/python3.11/site-packages/setuptools/__init__.py)
      [end of output]
  ERROR: Failed to build 'MarkupSafe' when getting requirements to build wheel`;
  const e = explainFailure(["pip", "install", "-r", "requirements.txt"], "exit 1", out, "requirements.txt");
  expect(e.message).toBe(
    "requirements.txt: MarkupSafe could not be built from source (\"pip install -r requirements.txt\" failed, exit 1): ImportError: cannot import name 'Feature' from 'setuptools' (/tmp/pip-build-env-x/overlay/lib/python3.11/site-packages/setuptools/__init__.py)",
  );
  expect(e.hint).toMatch(/^Pin a version of MarkupSafe that publishes a wheel/);
});

test("a wheel built fine is not blamed for a later failure", () => {
  const out = `  Building wheel for six (pyproject.toml): started
  Building wheel for six (pyproject.toml): finished with status 'done'
ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/`;
  const e = explainFailure(["pip", "install"], "exit 1", out, "requirements.txt");
  expect(e.message).toBe(
    'requirements.txt: "pip install" failed (exit 1): ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/',
  );
});

test("Poetry refusing the CPython the build chose names the constraint", () => {
  const out = `Installing dependencies from lock file

Current Python version (3.11.2) is not allowed by the project (3.12.*).
Please change python executable via "env use" command.`;
  const e = explainFailure(["poetry", "sync", "--only", "main"], "exit 1", out, "poetry.lock");
  expect(e.message).toBe(
    'pyproject.toml: Poetry refuses CPython 3.11.2: [tool.poetry.dependencies] python is "3.12.*" ("poetry sync --only main" failed, exit 1)',
  );
  expect(e.hint).toBe("Let python allow this CPython, or build with a builder that carries one it allows.");
});

test("Poetry refusing a project's requires-poetry names the constraint and the version", () => {
  const out = "\nThis project requires Poetry <=2.0.0, but you are using Poetry 2.5.1\n";
  const e = explainFailure(["poetry", "check", "--lock"], "exit 1", out, "poetry.lock");
  expect(e.message).toBe(
    'pyproject.toml: Poetry 2.5.1 refuses to run: [tool.poetry] requires-poetry is "<=2.0.0" ("poetry check --lock" failed, exit 1)',
  );
  expect(e.hint).toMatch(/^Set BP_POETRY_VERSION to a Poetry in that range/);
});

describe("a source build that lacks a library's headers", () => {
  test.each([
    [
      "Pillow's own words",
      "running build_ext\n\n  The headers or library files could not be found for jpeg,\n  a required dependency when compiling Pillow from source.\n  ERROR: Failed building wheel for pillow",
      "pillow has no wheel for this platform, and building it needs the headers of jpeg, which the build image lacks",
    ],
    [
      "gcc's missing header",
      "  Building wheel for psycopg2 (pyproject.toml): started\n  psycopg/psycopgmodule.c:28:10: fatal error: libpq-fe.h: No such file or directory\n",
      "psycopg2 has no wheel for this platform, and building it needs the C header libpq-fe.h, which the build image lacks",
    ],
    [
      "psycopg2's pg_config",
      "      Error: pg_config executable not found.\n\n      pg_config is required to build psycopg2 from source.\n      ERROR: Failed to build 'psycopg2' when getting requirements to build wheel",
      "psycopg2 has no wheel for this platform, and building it needs pg_config (libpq's -dev package), which the build image lacks",
    ],
  ])("%s", (_what, out, line) => {
    const e = explainFailure(["pipenv", "sync"], "exit 1", out, "Pipfile.lock");
    expect(e.message).toBe(`Pipfile.lock: ${line} ("pipenv sync" failed, exit 1)`);
    expect(e.hint).toMatch(/-dev package|libpq-dev/);
  });

  test("psycopg2 from source needs libpq5 at run too; psycopg2-binary with no wheel here asks for a newer pin", () => {
    const source =
      "      Error: pg_config executable not found.\n      ERROR: Failed to build 'psycopg2' when getting requirements to build wheel";
    expect(explainFailure(["pip"], "exit 1", source).hint).toBe(
      "Use psycopg2-binary (or psycopg[binary] 3), which publish wheels; psycopg2 built from source needs libpq-dev in the build image and libpq5 in the run image.",
    );
    // digitalocean/sample-django pins psycopg2-binary 2.9.3, which has no CPython 3.11 wheel.
    const binary =
      "      Error: pg_config executable not found.\n      ERROR: Failed to build 'psycopg2-binary' when getting requirements to build wheel";
    const e = explainFailure(["pip"], "exit 1", binary, "requirements.txt");
    expect(e.message).toMatch(/^requirements\.txt: psycopg2-binary has no wheel for this platform/);
    expect(e.hint).toBe(
      "psycopg2-binary publishes wheels, but not this version for this Python and architecture (pip fell back to its source): pin a newer psycopg2-binary.",
    );
  });
});

describe("errorLine", () => {
  test("a Python traceback gives its exception line, without the module path", () => {
    const out = `Traceback (most recent call last):
  File "/layers/cnbkit_python/pipenv/bin/pipenv", line 6, in <module>
    sys.exit(cli())
  File "/layers/x/plette/models/base.py", line 42, in validate
    raise DataValidationError(f"Missing required field: {k}")
pipenv.vendor.plette.models.base.DataValidationError: Missing required field: name`;
    expect(errorLine(out)).toBe("DataValidationError: Missing required field: name");
    expect(explainFailure(["pipenv", "sync"], "exit 1", out, "Pipfile.lock").hint).toBe(
      'A [[source]] in Pipfile (and in Pipfile.lock\'s _meta.sources) has no name, as an old Pipenv wrote them: add name = "pypi" to it, then run "pipenv lock" and commit Pipfile.lock.',
    );
  });
  test("a chained traceback gives the exception raised last", () => {
    const out = `        error: subprocess-exited-with-error
            Traceback (most recent call last):
            AttributeError: module 'hatchling.build' has no attribute 'prepare_metadata_for_build_editable'

            During handling of the above exception, another exception occurred:

            Traceback (most recent call last):
              File "/tmp/x/hatchling/builders/wheel.py", line 262, in default_file_selection_options
            ValueError: Unable to determine which files to ship inside the wheel
            [end of output]
      error: metadata-generation-failed`;
    expect(errorLine(out)).toBe("ValueError: Unable to determine which files to ship inside the wheel");
  });
  test("an exception whose name says neither Error nor Exception, named by its module path (Django's)", () => {
    const out = `Traceback (most recent call last):
  File "/workspace/manage.py", line 22, in <module>
    main()
  File "/layers/cnbkit_python/venv/lib/python3.11/site-packages/django/conf/__init__.py", line 90, in __getattr__
    raise ImproperlyConfigured("The SECRET_KEY setting must not be empty.")
django.core.exceptions.ImproperlyConfigured: The SECRET_KEY setting must not be empty.`;
    expect(errorLine(out)).toBe("ImproperlyConfigured: The SECRET_KEY setting must not be empty.");
  });
  test("Poetry's boxed message about a locked package it cannot find", () => {
    const out = `  - Installing idna (3.7)

    | Unable to find installation candidates for idna (3.7)
    |
    | This is likely not a Poetry issue.`;
    expect(errorLine(out)).toBe("Unable to find installation candidates for idna (3.7)");
    expect(explainFailure(["poetry", "sync"], "exit 1", out, "poetry.lock").message).toBe(
      'poetry.lock: "poetry sync" failed (exit 1): Unable to find installation candidates for idna (3.7)',
    );
    // The lock is fine when PyPI's per-version JSON is out of reach: the hint says what to change.
    expect(explainFailure(["poetry", "sync"], "exit 1", out, "poetry.lock").hint).toBe(
      'Poetry\'s PyPI source lists files from https://pypi.org/pypi/idna/3.7/json. Behind a mirror or proxy that serves only the simple index, add [[tool.poetry.source]] with url = "<index>/simple" and priority = "primary" to pyproject.toml, then run "poetry lock". Otherwise pin a version of idna with a file for this platform.',
    );
  });
  test("pip's framing lines are passed over for the cause they frame", () => {
    const build = `  error: subprocess-exited-with-error

  × Getting requirements to build wheel did not run successfully.
  │ exit code: 1
  ╰─> [25 lines of output]
      running egg_info
      Error: pg_config executable not found.
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.`;
    expect(errorLine(build)).toBe("Error: pg_config executable not found.");
    const yanked = `ERROR: Ignored the following yanked versions: 0.17.0
ERROR: Could not find a version that satisfies the requirement uvicorn==0.12.1 (from versions: 0.1.0, 0.12.2)
ERROR: No matching distribution found for uvicorn==0.12.1`;
    expect(errorLine(yanked)).toBe(
      "Could not find a version that satisfies the requirement uvicorn==0.12.1 (from versions: 0.1.0, 0.12.2)",
    );
  });

  // heroku/python-getting-started on CPython 3.11: Django 6 needs 3.12.
  test("versions another Python needs: the line pip could not satisfy, short, and a hint naming what they need", () => {
    const versions = Array.from({ length: 40 }, (_, i) => `5.${Math.floor(i / 10)}.${i % 10}`).join(", ");
    const output = [
      "ERROR: Ignored the following versions that require a different python version: 6.0 Requires-Python >=3.12; 6.0a1 Requires-Python >=3.12; 6.0b1 Requires-Python >=3.12; 6.0rc1 Requires-Python >=3.12; 6.1a1 Requires-Python >=3.12",
      `ERROR: Could not find a version that satisfies the requirement django<6.1,>=6.0 (from versions: ${versions})`,
      "ERROR: No matching distribution found for django<6.1,>=6.0",
    ].join("\n");
    const err = explainFailure(["pip", "install"], "exit 1", output, "requirements.txt");
    expect(err.message).toBe(
      'requirements.txt: "pip install" failed (exit 1): Could not find a version that satisfies the requirement django<6.1,>=6.0 (from versions: 5.0.0, …, 5.3.7, 5.3.8, 5.3.9; 40 in all)',
    );
    expect(err.hint).toBe(
      "The versions asked for need another Python (…; 6.0b1 needs >=3.12; 6.0rc1 needs >=3.12; 6.1a1 needs >=3.12): ask for a CPython they allow (.python-version, runtime.txt or BP_CPYTHON_VERSION) if the builder has one, or pin a version that supports this CPython.",
    );
  });
});

describe("an index out of reach", () => {
  // Pipenv's pip, for an outside Pipfile whose [[source]] is the retired pypi.python.org.
  const pipenv = [
    "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by " +
      "'NameResolutionError(\"HTTPSConnection(host='pypi.python.org', port=443): Failed to resolve 'pypi.python.org' " +
      "([Errno -2] Name or service not known)\")': /simple/blinker/",
    "ERROR: Could not find a version that satisfies the requirement blinker==1.4 (from versions: none)",
    "ERROR: No matching distribution found for blinker==1.4",
  ].join("\n");

  test("the failure names the host and why, not the package pip could not find", () => {
    const err = explainFailure(["pipenv", "sync"], "exit 1", pipenv, "Pipfile.lock");
    expect(err.message).toBe(
      'Pipfile.lock: the package index at pypi.python.org cannot be reached: its name does not resolve ("pipenv sync" failed, exit 1)',
    );
    expect(err.hint).toMatch(/PIPENV_PYPI_MIRROR/);
  });

  test.each([
    [pipenv, { host: "pypi.python.org", why: "its name does not resolve" }],
    [
      "WARNING: Retrying … after connection broken by 'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)'))': https://pypi.org/simple/six/\nERROR: No matching distribution found for six",
      { host: "pypi.org", why: "its TLS certificate is not trusted" },
    ],
    [
      "error: Failed to fetch: `https://files.example.com/simple/six/`\n  Caused by: dns error: failed to lookup address information",
      { host: "files.example.com", why: "its name does not resolve" }, // uv: the cause on the line after the URL
    ],
    // A retry warning on a run that failed for another reason is not blamed.
    [
      "WARNING: Retrying … NameResolutionError(host='pypi.org')\nERROR: ResolutionImpossible: conflicting pins",
      undefined,
    ],
  ])("unreachableIndex of %j", (output, expected) => {
    expect(unreachableIndex(output)).toEqual(expected);
  });
});

describe("a git dependency that cannot be cloned", () => {
  // pip's output for an outside Sanic app whose requirements.txt has git+https://…discord.py@rewrite.
  const pipOutput = [
    "Collecting git+https://github.com/Rapptz/discord.py@rewrite (from -r requirements.txt (line 3))",
    "  Cloning https://github.com/Rapptz/discord.py (to revision rewrite) to /tmp/pip-req-build-fsciedlt",
    "  Running command git clone --filter=blob:none --quiet https://github.com/Rapptz/discord.py /tmp/pip-req-build-fsciedlt",
    "  fatal: unable to access 'https://github.com/Rapptz/discord.py/': Could not resolve host: github.com",
    "  error: subprocess-exited-with-error",
    "  × git clone --filter=blob:none --quiet https://github.com/Rapptz/discord.py /tmp/pip-req-build-fsciedlt did not run successfully.",
    "  │ exit code: 128",
    "  ╰─> No available output.",
    "  note: This error originates from a subprocess, and is likely not a problem with pip.",
    "ERROR: Failed to build 'git+https://github.com/Rapptz/discord.py@rewrite' when git clone --filter=blob:none --quiet https://github.com/rapptz/discord.py /tmp/pip-req-build-fsciedlt",
  ].join("\n");

  test("names the repository and git's reason, not a package 'git' that failed to compile", () => {
    const err = explainFailure(["pip", "install", "-r", "requirements.txt"], "exit 1", pipOutput, "requirements.txt");
    expect(err.message).toBe(
      'requirements.txt: the git dependency https://github.com/Rapptz/discord.py/ cannot be cloned: Could not resolve host: github.com ("pip install -r requirements.txt" failed, exit 1)',
    );
    expect(err.hint).toMatch(/^A git dependency is cloned during the build/);
    expect(compilerFailure(pipOutput)).toBeUndefined();
  });

  test("pip's words for a build image without git", () => {
    const out = "ERROR: Cannot find command 'git' - do you have 'git' installed and in your PATH?";
    expect(gitFailure(out)?.line).toBe("a git dependency needs git, which the build image lacks");
  });

  test("a failed build of a URL requirement names no package 'git'", () => {
    const err = explainFailure(
      ["pip", "install"],
      "exit 1",
      "ERROR: Failed to build 'git+https://example.com/x.git'\n",
      "requirements.txt",
    );
    expect(err.message).not.toContain("git could not be built");
  });
});

test("the app's own setup.py failing to build is named as the project, not a package called file", () => {
  // An outside aiohttp bot's setup.py: version="rolling", which packaging rejects.
  const out = [
    "  Getting requirements to build editable: finished with status 'error'",
    "  error: subprocess-exited-with-error",
    "      packaging.version.InvalidVersion: Invalid version: 'rolling'",
    "  ERROR: Failed to build 'file:///workspace' when getting requirements to build editable",
  ].join("\n");
  const err = explainFailure(["pip", "install", "-e", "."], "exit 1", out, "setup.py");
  expect(err.message).toBe(
    `setup.py: the app's own project could not be built ("pip install -e ." failed, exit 1): InvalidVersion: Invalid version: 'rolling'`,
  );
  expect(err.hint).toMatch(/^The error is in the project's own build/);
});

test("uv failing to build the app's own project names the project and the backend's exception", () => {
  // webmasterdevlin/fastapi-demo under uv 0.9: poetry-core cannot find a declared package.
  const out = [
    "  error: Failed to build `fastapi-demo @ file:///workspace`",
    "    cause: Call to `poetry.core.masonry.api.build_editable` failed (exit status: 1)",
    "           [stderr]",
    "           Traceback (most recent call last):",
    "               raise ValueError(",
    "           ValueError: /workspace/fastapi_demo does not contain any element",
    "    hint: Build failures usually indicate a problem with the package or the build environment",
  ].join("\n");
  const err = explainFailure(["uv", "pip", "install", "-e", "."], "exit 1", out, "pyproject.toml");
  expect(err.message).toBe(
    `pyproject.toml: the app's own project could not be built ("uv pip install -e ." failed, exit 1): ValueError: /workspace/fastapi_demo does not contain any element`,
  );
  expect(err.hint).toMatch(/^The error is in the project's own build/);
});

describe("Poetry locking during the build (no poetry.lock)", () => {
  test("the solver's reason is the line, with the fix as the hint", () => {
    // What Poetry 2.5.1 prints for a version PyPI does not have (captured on this machine).
    const out = `Updating dependencies
Resolving dependencies...

Because hello depends on bottle (0.0.404) which doesn't match any versions, version solving failed.`;
    const e = explainFailure(["poetry", "lock"], "exit 1", out, "pyproject.toml");
    expect(e.message).toBe(
      `pyproject.toml: Poetry cannot lock the dependencies: Because hello depends on bottle (0.0.404) which doesn't match any versions ("poetry lock" failed, exit 1)`,
    );
    expect(e.hint).toBe(
      'Change the version constraints in pyproject.toml until "poetry lock" succeeds, and commit poetry.lock.',
    );
  });
});

// debjava/python-fastapi-pipenv: Pipenv's pip 26 on uvicorn 0.12.1, whose metadata says
// "python-dotenv (>=0.13.*)" (Pipenv wraps pip's lines at its console's width).
describe("a pin whose metadata pip 24.1 and later reject", () => {
  const pipenv = [
    "      Collecting uvicorn==0.12.1 (from -r /tmp/pipenv-59txx34v-requirements/pipenv-nexg272w-hashed-reqs.txt (line 15))",
    "        Downloading uvicorn-0.12.1-py3-none-any.whl (44 kB)",
    "      WARNING: Ignoring version 0.12.1 of uvicorn since it has invalid metadata:",
    "      Requested uvicorn==0.12.1 from https://files.pythonhosted.org/packages/10/80/911aee39965ef349dbd20d9ffb85ff7bad0a7fd04880c1e19cd34acca4c4/uvicorn-0.12.1-py3-none-any.whl (from -r /tmp/pipenv-59txx34v-requirements/pipenv-nexg272w-hashed-reqs.txt (line",
    "      15)) has invalid metadata: .* suffix can only be used with `==` or `!=` operators",
    "          python-dotenv (>=0.13.*) ; extra == 'standard'",
    "                         ~~~~~~~^",
    "      Please use pip<24.1 if you need to use this version.",
    "      ERROR: Ignored the following yanked versions: 0.17.0",
    "      ERROR: Ignored the following versions that require a different python version: 1.9.5 Requires-Python !=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,>=2.7,<3.7",
    "      ERROR: Could not find a version that satisfies the requirement uvicorn==0.12.1 (from versions: 0.0.1, 0.0.2, 0.0.3, 0.0.4, 0.0.5, 0.0.6, 0.0.7, 0.0.8,",
    "      0.12.0, 0.12.1, 0.12.2, 0.54.0)",
    "      ERROR: No matching distribution found for uvicorn==0.12.1",
  ].join("\n");

  test("names the package, pip's reason and the requirement it rejects, not another Python", () => {
    const err = explainFailure(["/layers/p/pipenv/bin/pipenv", "sync"], "exit 1", pipenv, "Pipfile.lock");
    expect(err.message).toBe(
      "Pipfile.lock: uvicorn 0.12.1 has metadata that pip 24.1 and later reject (.* suffix can only be used with `==` or `!=` operators: python-dotenv (>=0.13.*) ; extra == 'standard'), so pip found no uvicorn 0.12.1 to install (\"/layers/p/pipenv/bin/pipenv sync\" failed, exit 1)",
    );
    expect(err.hint).toBe(
      'Pin a later uvicorn release, whose metadata is valid, then run "pipenv lock" and commit Pipfile.lock.',
    );
  });

  test("under pip itself, the hint offers the last pip that installs it", () => {
    const err = explainFailure(["pip", "install"], "exit 1", pipenv, "requirements.txt");
    expect(err.hint).toContain("BP_PIP_VERSION=24.0");
  });

  test("of several passed over, the one the failing requirement pins", () => {
    const two = `WARNING: Ignoring version 1.0 of other since it has invalid metadata:\nRequested other==1.0 from https://x has invalid metadata: bad\n  x (>=1.*)\n${pipenv}`;
    expect(invalidMetadata(two)).toMatchObject({ name: "uvicorn", version: "0.12.1" });
    expect(invalidMetadata("ERROR: No matching distribution found for uvicorn==0.12.1")).toBeUndefined();
  });
});

describe("the hint that versions need another Python", () => {
  test("is not given for an exact pin whose version is not among those pip passed over for their Python", () => {
    const output = [
      "ERROR: Ignored the following versions that require a different python version: 1.9.5 Requires-Python <3.7",
      "ERROR: Could not find a version that satisfies the requirement flask==9.9 (from versions: 1.0, 2.0)",
    ].join("\n");
    expect(explainFailure(["pip", "install"], "exit 1", output).hint).toBeUndefined();
    const needs = output.replace("1.9.5", "9.9");
    expect(explainFailure(["pip", "install"], "exit 1", needs).hint).toContain("9.9 needs <3.7");
  });

  test("a version list Pipenv wrapped onto the next line is cut to its start", () => {
    const wrapped = `ERROR: Could not find a version that satisfies the requirement x==1 (from versions: 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7,\n0.8)`;
    expect(errorLine(wrapped)).toBe(
      "Could not find a version that satisfies the requirement x==1 (from versions: 0.1, 0.2, 0.3, …)",
    );
  });
});
