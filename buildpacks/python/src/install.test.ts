import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { describe, expect, onTestFinished, test } from "vitest";
import bp from "./index.js";
import { pythonHarness } from "./testing/harness.js";
import { testBuildpackToml } from "./testing/inventory.js";

// Real installs from PyPI into a venv on the host's python3.11 (as a file:// CPython).
const { opts } = pythonHarness();
const text = (lines: string[]) => lines.join("\n");
const testdata = (name: string) => new URL(`../testdata/${name}`, import.meta.url).pathname;
const flaskApp =
  "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get('/')\ndef hello():\n    return 'hello'\n";

/** `pip list` in the venv, as the image would report it. */
function pipList(venv: string): string[] {
  const r = spawnSync(
    "/usr/bin/python3.11",
    ["-m", "pip", "--python", join(venv, "bin", "python"), "list", "--format=freeze"],
    {
      encoding: "utf8",
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split("\n").filter(Boolean);
}

/**
 * Writes `content` to the built app's `file` and rebuilds with its layers: the venv must be
 * rebuilt with the log naming `file` as what changed, and then hold `pinned` (pip list).
 */
async function expectVenvRebuiltOnEdit(
  first: Awaited<ReturnType<typeof runBuild>>,
  edit: { file: string; content: string; pinned: string },
  platformEnv: Record<string, string> = {},
): Promise<void> {
  await writeFile(join(first.app, edit.file), edit.content);
  const second = await runBuild(bp, { ...opts(first.app, platformEnv), restore: first.layers });
  const named = edit.file.replace(/[./]/g, (c) => `\\${c}`);
  expect(text(second.stdout)).toMatch(new RegExp(`Rebuilding venv: ${named} [0-9a-f]{12}… → [0-9a-f]{12}…`));
  expect(pipList(second.layer("venv").path)).toContain(edit.pinned);
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts a process `command` in the app dir with its launch env on a free loopback port (as
 * the launcher would, with WEB_CONCURRENCY=1), returns the body of its answer to GET /, and stops it.
 */
async function askProcess(command: string[], env: Record<string, string>, cwd: string): Promise<string> {
  const port = await freePort();
  const child = spawn(command[0]!, command.slice(1), {
    cwd,
    env: { ...env, PATH: `${env.PATH}:/usr/bin:/bin`, PORT: String(port), HOST: "127.0.0.1", WEB_CONCURRENCY: "1" },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`the process exited (${child.exitCode}): ${stderr}`);
      const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      if (res) return await res.text();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no answer on port ${port} in 10 s: ${stderr}`);
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid!, "SIGTERM");
      await exited;
    }
  }
}

describe("pip + requirements.txt", () => {
  test("Flask with gunicorn: venv layer, SBOM of every distribution, gunicorn process, reuse on rebuild", async () => {
    // gunicorn 20 declares setuptools>=3.0 and imports pkg_resources at start.
    const app = { "requirements.txt": "flask==3.1.0\ngunicorn==20.1.0\n", "app.py": flaskApp };
    const first = await runBuild(bp, opts(app));
    const venv = first.layer("venv");
    expect(venv.toml?.types).toEqual({ build: false, launch: true, cache: false });
    expect(existsSync(join(venv.path, "bin", "gunicorn"))).toBe(true);
    // --compile: bytecode is in the layer, not written at launch.
    const site = join(venv.path, "lib", "python3.11", "site-packages");
    expect(readdirSync(join(site, "flask", "__pycache__")).length).toBeGreaterThan(0);
    const cdx = first.sbom("venv", "cdx") as { components: { name: string; purl: string }[] };
    expect(cdx.components.map((c) => c.purl)).toContain("pkg:pypi/flask@3.1.0");
    expect(cdx.components.length).toBe(pipList(venv.path).length);
    expect(first.processes).toEqual([
      { type: "web", command: ["sh", "-c", 'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" app:app'], default: true },
    ]);
    // requirements.txt leaves setuptools out, but older packages import pkg_resources at start
    // (gunicorn < 21): the venv has it before pip runs, so gunicorn's setuptools>=3.0 is met by
    // it (not by the newest setuptools, which has no pkg_resources), compiled, in the SBOM.
    expect(text(first.stdout)).toContain("Added setuptools 81.0.0 first");
    expect(cdx.components.map((c) => c.purl)).toContain("pkg:pypi/setuptools@81.0.0");
    expect(readdirSync(join(site, "pkg_resources", "__pycache__")).length).toBeGreaterThan(0);
    const imported = spawnSync(join(venv.path, "bin", "python"), ["-W", "ignore", "-c", "import gunicorn.util"], {
      encoding: "utf8",
    });
    expect(imported.status, imported.stderr).toBe(0);
    expect(first.launchEnv("web").VIRTUAL_ENV).toBe(venv.path);

    const second = await runBuild(bp, { ...opts(first.app), restore: first.layers });
    expect(second.layer("venv").state.kind).toBe("restored");
    expect(text(second.stdout)).toContain("Nothing to install: requirements.txt, CPython");
    // Neither CPython nor the venv is restored, tarred or hashed: both are reused from the image.
    expect(second.layer("cpython").state.kind).toBe("restored");
    expect(second.layer("cpython").reusedFromImage).toBe(true);
    expect(second.layer("venv").reusedFromImage).toBe(true);
    expect((second.sbom("venv", "cdx") as { components: unknown[] }).components).toEqual(cdx.components);
    expect(second.processes).toEqual(first.processes);
  }, 300_000);

  test("the native build of a multi-platform build makes the arm64 build's venv from pip's report (ctx.multiPlatform.variants)", async () => {
    const store = await mkdtemp(join(tmpdir(), "cnbkit-python-variants-"));
    onTestFinished(() => rm(store, { recursive: true, force: true }));
    // Pure Python: the arm64 venv is this one's files, with no wheel to swap (no download).
    const app = { "requirements.txt": "six==1.16.0\n", "app.py": "import six\n" };
    const native = await runBuild(bp, {
      ...opts(app),
      archNeutral: { dir: store, role: "produce", reusers: ["arm64"] },
    });
    expect(text(native.stdout)).toContain("Made venv for the linux/arm64 build here");
    expect(pipList(native.layer("venv").path)).toContain("six==1.16.0");
  }, 300_000);

  test("gunicorn 20 with the user's own setuptools>=82 pin: one line naming gunicorn, the pin and the fix, no image that crashes at start", async () => {
    const app = { "requirements.txt": "flask==3.1.0\ngunicorn==20.1.0\nsetuptools>=82\n", "app.py": flaskApp };
    const err = await runBuild(bp, opts(app)).then(
      () => undefined,
      (e: Error & { hint?: string }) => e,
    );
    expect(err?.message).toMatch(
      /^requirements\.txt: gunicorn 20\.1\.0 imports pkg_resources, which setuptools 82 removed, and "setuptools>=82" installed setuptools \d+\.\d+\.\d+$/,
    );
    expect(err?.hint).toMatch(/^Pin setuptools<82 in requirements\.txt/);
  }, 300_000);

  test("a rebuild that lost its build cache but has the image installs pip on the image's CPython only when the venv changes", async () => {
    const first = await runBuild(bp, opts({ "requirements.txt": "flask==3.1.0\n", "app.py": flaskApp }));
    // As after a builder change or on CI without a cache: the launch layers' metadata comes
    // from the previous image, the cache-only and build layers (pip, python_cache) are gone.
    const lost = await mkdtemp(join(tmpdir(), "cnbkit-py-lost-cache-"));
    onTestFinished(() => rm(lost, { recursive: true, force: true }));
    await cp(first.layers, lost, { recursive: true, verbatimSymlinks: true });
    for (const name of ["pip", "python_cache"]) {
      await rm(join(lost, name), { recursive: true, force: true });
      await rm(join(lost, `${name}.toml`), { force: true });
    }
    const unchanged = await runBuild(bp, { ...opts(first.app), restore: lost });
    // The venv is reused, so nothing needs pip: it is not installed.
    expect(unchanged.layer("venv").state.kind).toBe("restored");
    expect(() => unchanged.layer("pip")).toThrow('no layer "pip"');
    expect(text(unchanged.stdout)).not.toContain("Installing pip");

    await writeFile(join(first.app, "requirements.txt"), "flask==3.1.0\n# pinned\n");
    const second = await runBuild(bp, { ...opts(first.app), restore: lost });
    // CPython's files come back (the image has them) before pip's venv is made on it.
    expect(text(second.stdout)).toMatch(/Rebuilding cpython: its files are needed in this build[\s\S]*Installing pip/);
    expect(existsSync(join(second.layer("pip").path, "lib", "python3.11", "site-packages", "pip", "__main__.py"))).toBe(
      true,
    );
    expect(second.layer("venv").state.kind).toBe("reset");
  }, 300_000);

  test("Flask with no server gets waitress in a layer of its own", async () => {
    const r = await runBuild(bp, opts({ "requirements.txt": "flask==3.1.0\n", "app.py": flaskApp }));
    expect(r.processes[0]?.command).toEqual([
      "sh",
      "-c",
      'exec python -m waitress --listen="${HOST:-0.0.0.0}:$PORT" app:app',
    ]);
    expect(text(r.stdout)).toContain("adding waitress");
    const waitress = r.layer("waitress");
    expect(waitress.toml?.types).toMatchObject({ launch: true });
    const site = join(waitress.path, "lib", "python3.11", "site-packages");
    expect(existsSync(join(site, "waitress", "__main__.py"))).toBe(true);
    expect(readdirSync(join(site, "waitress", "__pycache__")).length).toBeGreaterThan(10); // compiled at build
    // Only waitress: Flask and its dependencies are the venv's.
    expect(readdirSync(site).filter((e) => e.endsWith(".dist-info"))).toEqual([
      expect.stringMatching(/^waitress-[\d.]+\.dist-info$/),
    ]);
    const env = r.launchEnv("web");
    expect(env.PYTHONPATH).toBe(site);
    // The command's `python` is the venv's, which imports the app's Flask and the layer's
    // waitress (a venv python of waitress's own, earlier on PATH, once found neither).
    const run = spawnSync("sh", ["-c", "python -c 'import flask, waitress, sys; print(sys.prefix)'"], {
      env: { ...env, PATH: `${env.PATH}:/usr/bin:/bin` },
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe(r.layer("venv").path);
  }, 300_000);

  test("Starlette with no server gets uvicorn, without the click the app pinned itself", async () => {
    const app = "from starlette.applications import Starlette\n\napp = Starlette()\n";
    const r = await runBuild(bp, opts({ "requirements.txt": "starlette==0.46.2\nclick==8.1.8\n", "main.py": app }));
    expect(r.processes[0]?.command.at(-1)).toMatch(/^exec python -m uvicorn main:app /);
    const site = join(r.layer("uvicorn").path, "lib", "python3.11", "site-packages");
    const dists = readdirSync(site).filter((e) => e.endsWith(".dist-info"));
    expect(dists.map((d) => d.split("-")[0]).sort()).toEqual(["h11", "uvicorn"]);
    const env = r.launchEnv("web");
    const run = spawnSync("sh", ["-c", "python -c 'import click, uvicorn, starlette; print(click.__file__)'"], {
      env: { ...env, PATH: `${env.PATH}:/usr/bin:/bin` },
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain(join(r.layer("venv").path, "lib"));
  }, 300_000);

  // railwayapp-templates/fastapi's shape: FastAPI served by the app's own hypercorn.
  test("FastAPI with hypercorn and no uvicorn: the web process runs hypercorn, which answers on $PORT", async () => {
    const app =
      "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/')\ndef root():\n    return {'hello': 'hypercorn'}\n";
    const r = await runBuild(
      bp,
      opts({ "requirements.txt": "fastapi==0.115.12\nhypercorn==0.17.3\n", "main.py": app }),
    );
    expect(text(r.stdout)).toContain("FastAPI app in main.py; hypercorn is a dependency");
    expect(text(r.stdout)).not.toContain("adding uvicorn");
    expect(existsSync(join(r.layers, "uvicorn"))).toBe(false);
    const web = r.processes.find((p) => p.type === "web")!;
    const body = await askProcess(web.command, r.launchEnv("web"), r.app);
    expect(JSON.parse(body)).toEqual({ hello: "hypercorn" });
  }, 300_000);

  test("a package that does not exist fails with one line naming requirements.txt", async () => {
    await expect(
      runBuild(bp, opts({ "requirements.txt": "no-such-package-cnbkit==1.0\n", "main.py": "" })),
    ).rejects.toThrow(/^requirements.txt: ".*pip .*install.*" failed \(exit 1\)/);
  }, 300_000);
});

describe("a CPython archive with no bytecode (python-build-standalone removes every __pycache__)", () => {
  test("the stdlib is compiled into the cpython layer as unchecked-hash .pyc, which imports use with the lifecycle's file times", async () => {
    const bare = await testBuildpackToml({ bytecode: false });
    const run = (app: Record<string, string> | string, restore?: string) =>
      runBuild(bp, { ...opts(app), buildpackToml: bare.toml, ...(restore ? { restore } : {}) });
    const first = await run({ "main.py": "print('hi')\n" });
    expect(text(first.stdout)).toMatch(
      /Compiled the standard library's bytecode in [\d.]+m?s \(the archive carries none\)/,
    );
    const cpython = first.layer("cpython");
    const stdlib = join(cpython.path, "lib", "python3.11");
    // PEP 552: flags 0b01 is hash-based without checking the source.
    const header = readFileSync(join(stdlib, "__pycache__", "os.cpython-311.pyc")).subarray(4, 8);
    expect(header.readUInt32LE(0)).toBe(1);
    // What no app imports is left out.
    expect(existsSync(join(stdlib, "ensurepip", "__pycache__"))).toBe(false);
    expect(existsSync(join(stdlib, "email", "__pycache__"))).toBe(true);
    // The exporter dates every file 1980-01-01; each stdlib module still loads from its .pyc.
    const touched = spawnSync("find", [cpython.path, "-exec", "touch", "-h", "-d", "@315532801", "{}", "+"]);
    expect(touched.status).toBe(0);
    const imports = spawnSync(
      join(cpython.path, "bin", "python3"),
      ["-v", "-c", "import json, http.server, email.message"],
      {
        encoding: "utf8",
        env: { PATH: "/usr/bin:/bin", PYTHONDONTWRITEBYTECODE: "1" },
      },
    );
    expect(imports.status, imports.stderr).toBe(0);
    const fromSource = imports.stderr.split("\n").filter((l) => /^# code object from '.*\.py'$/.test(l));
    expect(fromSource).toEqual([]);
    expect(imports.stderr).toContain(
      `# code object from '${join(stdlib, "http", "__pycache__", "server.cpython-311.pyc")}'`,
    );

    const second = await run(first.app, first.layers);
    expect(second.layer("cpython").state.kind).toBe("restored");
    expect(text(second.stdout)).not.toContain("Compiled the standard library");
  }, 300_000);
});

describe("a package with no wheel that needs compiling", () => {
  // A local project with a C extension: pip must build it (there is no wheel to take).
  const cext = {
    "requirements.txt": "./cext\n",
    "main.py": "import cnbkit_cext\n",
    "cext/pyproject.toml":
      '[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "cnbkit-cext"\nversion = "0.1.0"\n',
    "cext/setup.py":
      'from setuptools import Extension, setup\n\nsetup(ext_modules=[Extension("cnbkit_cext", ["cnbkit_cext.c"])])\n',
    "cext/cnbkit_cext.c":
      '#include <Python.h>\nstatic struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "cnbkit_cext", NULL, -1, NULL};\nPyMODINIT_FUNC PyInit_cnbkit_cext(void) { return PyModule_Create(&mod); }\n',
  };

  test("with no C compiler: one line naming the package and the missing compiler, and the fix", async () => {
    const err = await runBuild(bp, opts(cext, { CC: "/nonexistent/gcc" })).catch((e: Error & { hint?: string }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /^requirements.txt: cnbkit-cext has no wheel for this platform and the build image has no C compiler \("\/nonexistent\/gcc" not found\) \(".*pip .*install.*" failed, exit 1\)$/,
    );
    expect((err as { hint?: string }).hint).toMatch(/publishes a wheel .* or use a build image with gcc/);
  }, 300_000);

  test("with the host's gcc it compiles into the venv", async () => {
    const r = await runBuild(bp, opts(cext));
    const site = join(r.layer("venv").path, "lib", "python3.11", "site-packages");
    expect(readdirSync(site).filter((f) => /^cnbkit_cext\..*\.so$/.test(f))).toHaveLength(1);
    expect(r.layer("venv").toml?.metadata).toMatchObject({ modules: expect.arrayContaining(["cnbkit_cext"]) });
  }, 300_000);
});

describe("what a rebuild reinstalls", () => {
  test("a source-only edit reinstalls nothing; a changed requirements.txt rebuilds the venv, CPython keeps its key", async () => {
    const app = { "requirements.txt": "six==1.17.0\n", "main.py": "print('one')\n" };
    const first = await runBuild(bp, opts(app));
    const cpythonKey = first.layer("cpython").toml?.metadata;
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(first.app, "main.py"), "print('two')\n");
    const edited = await runBuild(bp, { ...opts(first.app), restore: first.layers });
    const editOut = text(edited.stdout);
    expect(edited.layer("venv").state.kind).toBe("restored");
    expect(edited.layer("cpython").reusedFromImage).toBe(true);
    expect(editOut).toContain("Nothing to install: requirements.txt, CPython");
    expect(editOut).not.toContain("Running pip install");
    expect(editOut).not.toContain("Installing CPython");

    writeFileSync(join(first.app, "requirements.txt"), "six==1.17.0\nidna==3.10\n");
    const changed = await runBuild(bp, { ...opts(first.app), restore: edited.layers });
    const out = text(changed.stdout);
    expect(out).toMatch(/Rebuilding venv: requirements\.txt [0-9a-f]{12}… → [0-9a-f]{12}…/);
    expect(out).toContain("Running pip install --compile -r requirements.txt");
    expect(out).toContain("Reusing cpython (key unchanged)");
    // A launch-only layer has no files at build: pip needs the interpreter, so the same
    // verified archive is unpacked again (no key change, the image keeps the same layer).
    expect(out).toContain("Rebuilding cpython: its files are needed in this build");
    expect(changed.layer("cpython").toml?.metadata).toEqual(cpythonKey);
    // setuptools too: a pip venv on CPython 3.11 has it, as `python -m venv` makes one.
    expect(pipList(changed.layer("venv").path).map((l) => l.split("==")[0])).toEqual(["idna", "setuptools", "six"]);
    // Still launch-only, so the next build reuses it from the image instead of unpacking it again.
    expect(changed.layer("cpython").toml?.types).toEqual({ build: false, launch: true, cache: false });
    const next = await runBuild(bp, { ...opts(first.app), restore: changed.layers });
    expect(next.layer("cpython").reusedFromImage).toBe(true);
    expect(next.layer("venv").reusedFromImage).toBe(true);
    expect(text(next.stdout)).not.toContain("Installing CPython");
  }, 300_000);
});

describe("a setuptools project with no requirements.txt", () => {
  test("setup.py's install_requires are installed with pip install -e .; an edit of setup.cfg rebuilds the venv", async () => {
    const app = {
      "setup.py": "from setuptools import setup\n\nsetup()\n",
      "setup.cfg":
        "[metadata]\nname = hello\nversion = 0.1.0\n\n[options]\npy_modules = hello\ninstall_requires =\n    six==1.17.0\n",
      "hello.py": "import six\n",
      "main.py": "import hello\nprint('hi')\n",
    };
    const first = await runBuild(bp, opts(app));
    expect(text(first.stdout)).toContain("Dependencies (pip, from setup.py and setup.cfg)");
    expect(text(first.stdout)).toContain("Running pip install --compile -e .");
    expect(pipList(first.layer("venv").path)).toContain("six==1.17.0");
    await expectVenvRebuiltOnEdit(first, {
      file: "setup.cfg",
      content: app["setup.cfg"].replace("six==1.17.0", "six==1.16.0"),
      pinned: "six==1.16.0",
    });
  }, 300_000);
});

// litestar-org/litestar-hello-world's shape: pdm's template gave the flat app a hatchling
// [build-system] and a script; hatchling found no litestar_hello_world to ship and failed the
// `pip install -e .` before any dependency installed.
describe("a hatchling project that is no package (a flat app.py)", () => {
  test("only its dependencies are installed, the log says why, and the app's server serves it", async () => {
    const app = {
      "pyproject.toml": [
        "[project]",
        'name = "hello-world"',
        'version = "0.1.0"',
        'dependencies = ["starlette==0.46.2"]',
        "[project.scripts]",
        'app = "starlette.applications:Starlette"',
        "[build-system]",
        'requires = ["hatchling"]',
        'build-backend = "hatchling.build"',
        "",
      ].join("\n"),
      "app.py":
        "from starlette.applications import Starlette\nfrom starlette.responses import PlainTextResponse\nfrom starlette.routing import Route\n\n" +
        "app = Starlette(routes=[Route('/', lambda r: PlainTextResponse('flat app'))])\n",
    };
    const r = await runBuild(bp, opts(app));
    expect(text(r.stdout)).toContain(
      "hatchling, finds no hello_world package or module to ship, so the project itself is not installed",
    );
    expect(text(r.stdout)).toContain("Running pip install --compile starlette==0.46.2");
    expect(pipList(r.layer("venv").path)).toContain("starlette==0.46.2");
    const web = r.processes.find((p) => p.type === "web")!;
    expect(await askProcess(web.command, r.launchEnv("web"), r.app)).toBe("flat app");
  }, 300_000);
});

describe("a requirements.txt that includes others (cookiecutter-django's layout)", () => {
  test("an edit of an included file rebuilds the venv, and the log names that file", async () => {
    const app = {
      "requirements.txt": "-r requirements/production.txt\n",
      "requirements/production.txt": "-r base.txt\n",
      "requirements/base.txt": "six==1.17.0\n",
      "main.py": "print('hi')\n",
    };
    const first = await runBuild(bp, opts(app));
    expect(pipList(first.layer("venv").path)).toContain("six==1.17.0");
    await expectVenvRebuiltOnEdit(first, {
      file: "requirements/base.txt",
      content: "six==1.16.0\n",
      pinned: "six==1.16.0",
    });
  }, 300_000);

  test("BP_PIP_REQUIREMENT installs other files than requirements.txt, and their includes key the venv too", async () => {
    const app = {
      "requirements.txt": "-r requirements/dev.txt\n",
      "requirements/dev.txt": "-r base.txt\niniconfig==2.1.0\n",
      "requirements/prod.txt": "-r base.txt\n",
      "requirements/base.txt": "six==1.17.0\n",
      "main.py": "print('hi')\n",
    };
    const env = { BP_PIP_REQUIREMENT: "requirements/prod.txt" };
    const first = await runBuild(bp, opts(app, env));
    const out = text(first.stdout);
    expect(out).toContain("Dependencies (pip, from BP_PIP_REQUIREMENT=requirements/prod.txt)");
    expect(out).toContain("Not used: requirements.txt");
    const names = pipList(first.layer("venv").path);
    expect(names).toContain("six==1.17.0");
    expect(names.join(" ")).not.toContain("iniconfig");
    const edit = { file: "requirements/base.txt", content: "six==1.16.0\n", pinned: "six==1.16.0" };
    await expectVenvRebuiltOnEdit(first, edit, env);
    await expect(runBuild(bp, opts(app, { BP_PIP_REQUIREMENT: "requirements/staging.txt" }))).rejects.toThrow(
      'BP_PIP_REQUIREMENT: "requirements/staging.txt" is not a file in the app directory',
    );
  }, 300_000);
});

describe("Django with a settings package", () => {
  test("a settings module that star-imports its base: gunicorn on its WSGI app, collectstatic into its STATIC_ROOT", async () => {
    const app = {
      "requirements.txt": "django==5.2\ngunicorn==23.0.0\n",
      "manage.py": [
        "import os, sys",
        "",
        "if __name__ == '__main__':",
        "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'bakery.settings.dev')",
        "    from django.core.management import execute_from_command_line",
        "    execute_from_command_line(sys.argv)",
        "",
      ].join("\n"),
      "bakery/__init__.py": "",
      "bakery/urls.py": "urlpatterns = []\n",
      "bakery/wsgi.py": "from django.core.wsgi import get_wsgi_application\n\napplication = get_wsgi_application()\n",
      "bakery/settings/__init__.py": "",
      "bakery/settings/dev.py": "from .base import *  # noqa\n\nDEBUG = True\n",
      "bakery/settings/base.py": [
        "from pathlib import Path",
        "",
        "BASE_DIR = Path(__file__).resolve().parent.parent.parent",
        "SECRET_KEY = 'not-secret'",
        "INSTALLED_APPS = ['django.contrib.staticfiles']",
        "ROOT_URLCONF = 'bakery.urls'",
        "WSGI_APPLICATION = 'bakery.wsgi.application'",
        "STATIC_URL = 'static/'",
        "STATIC_ROOT = BASE_DIR / 'collected'",
        "STATICFILES_DIRS = [BASE_DIR / 'assets']",
        "",
      ].join("\n"),
      "assets/site.css": "body { color: green; }\n",
    };
    const r = await runBuild(bp, opts(app));
    expect(text(r.stdout)).toContain("Django static files (manage.py collectstatic --noinput)");
    expect(existsSync(join(r.app, "collected", "site.css"))).toBe(true);
    expect(r.processes[0]?.command).toEqual([
      "sh",
      "-c",
      'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" bakery.wsgi:application',
    ]);
  }, 300_000);
});

describe("an app object in another top-level module", () => {
  // The outside app: app = Flask(__name__) in hello_world.py, run by its Makefile as
  // `gunicorn hello_world:app`. Before: "no app object in main.py, app.py, server.py, wsgi.py".
  test("hello_world.py's Flask app is served with gunicorn, as its Makefile runs it", async () => {
    const app = {
      "requirements.txt": "flask==3.1.0\ngunicorn==23.0.0\n",
      Makefile: "run:\n\tgunicorn hello_world:app\n",
      "hello_world.py": flaskApp,
    };
    const r = await runBuild(bp, opts(app));
    expect(r.processes[0]?.command).toEqual([
      "sh",
      "-c",
      'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" hello_world:app',
    ]);
    expect(text(r.stdout)).toContain("web: from Flask app in hello_world.py; gunicorn is a dependency");
  }, 300_000);
});

describe("Django without STATIC_ROOT", () => {
  // An outside app: collectstatic raised ImproperlyConfigured and the build failed (Heroku's does
  // too), though the app serves its pages. Here STATIC_ROOT reads a variable the build lacks.
  test("collectstatic that finds STATIC_ROOT unset is skipped with one warning, and the build goes on", async () => {
    const settings = [
      "import os",
      "SECRET_KEY = 'not-secret'",
      "INSTALLED_APPS = ['django.contrib.staticfiles']",
      "ROOT_URLCONF = 'site1.urls'",
      "WSGI_APPLICATION = 'site1.wsgi.application'",
      "STATIC_URL = 'static/'",
      "STATIC_ROOT = os.environ.get('STATIC_ROOT')",
      "STATICFILES_DIRS = [os.path.join(os.path.dirname(os.path.dirname(__file__)), 'assets')]",
      "",
    ].join("\n");
    const app = {
      "requirements.txt": "django==5.2\ngunicorn==23.0.0\n",
      "manage.py": [
        "import os, sys",
        "if __name__ == '__main__':",
        "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site1.settings')",
        "    from django.core.management import execute_from_command_line",
        "    execute_from_command_line(sys.argv)",
        "",
      ].join("\n"),
      "site1/__init__.py": "",
      "site1/urls.py": "urlpatterns = []\n",
      "site1/wsgi.py": "from django.core.wsgi import get_wsgi_application\n\napplication = get_wsgi_application()\n",
      "site1/settings.py": settings,
      "assets/site.css": "body { color: green; }\n",
    };
    const r = await runBuild(bp, opts(app));
    const warnings = r.stdout.filter((l) => l.includes("Skipping collectstatic"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      "site1/settings.py leaves STATIC_ROOT unset at build, so the image has no collected static files",
    );
    expect(r.processes[0]?.command).toEqual([
      "sh",
      "-c",
      'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" site1.wsgi:application',
    ]);
  }, 300_000);
});

describe("a start command that serves a module the app does not have", () => {
  const base = {
    "requirements.txt": "six==1.17.0\ngunicorn==23.0.0\nuvicorn==0.34.2\n",
    "server.py": "app = None\n",
  };

  test("a Procfile's server that is not installed is one line naming it, before the module", async () => {
    const app = { "requirements.txt": "six==1.17.0\n", "server.py": "app = None\n" };
    await expect(
      runBuild(bp, opts({ ...app, Procfile: "web: gunicorn --bind 0.0.0.0:$PORT app:app\n" })),
    ).rejects.toThrow(
      /^Procfile web: "gunicorn --bind 0\.0\.0\.0:\$PORT app:app" runs gunicorn, which is not installed in the venv$/,
    );
    await expect(runBuild(bp, opts(app, { BP_PYTHON_ENTRYPOINT: "python -m uvicorn server:app" }))).rejects.toThrow(
      /^BP_PYTHON_ENTRYPOINT: "python -m uvicorn server:app" runs uvicorn, which is not installed in the venv$/,
    );
  }, 300_000);

  test("a Procfile's gunicorn module is one line naming the Procfile line and the module", async () => {
    await expect(
      runBuild(bp, opts({ ...base, Procfile: "web: gunicorn --bind 0.0.0.0:$PORT serverx:app\n" })),
    ).rejects.toThrow(
      /^Procfile web: "gunicorn --bind 0\.0\.0\.0:\$PORT serverx:app" serves module "serverx", which is not in the app \(no serverx\.py or serverx\) nor installed in the venv$/,
    );
  }, 300_000);

  test("a Procfile web line is the start command: nothing inferred, no process set here (cnbkit/procfile sets it)", async () => {
    const procfile =
      "web: python server.py --port $PORT\nworker: pip install -r requirements.txt && python server.py\n";
    const r = await runBuild(bp, opts({ ...base, Procfile: procfile }));
    const out = text(r.stdout);
    // A line that installs at start gets a warning: the image's venv has no pip.
    expect(out).toContain(
      'Warning: Procfile worker: "pip install -r requirements.txt && python server.py" runs pip install at start, but the image\'s venv has no pip',
    );
    expect(out.match(/runs pip install at start/g)).toHaveLength(1);
    expect(out).toContain("web: python server.py --port $PORT");
    expect(out).toContain("(from the Procfile, which cnbkit/procfile turns into the image's processes)");
    expect(out).not.toContain("the only start file");
    expect(r.processes).toEqual([]);
  }, 300_000);

  test("BP_PYTHON_ENTRYPOINT with a missing package fails; one installed in the venv passes", async () => {
    await expect(runBuild(bp, opts(base, { BP_PYTHON_ENTRYPOINT: "uvicorn api.main:app" }))).rejects.toThrow(
      /^BP_PYTHON_ENTRYPOINT: "uvicorn api\.main:app" serves module "api\.main", which is not in the app \(no api\/main\.py or api\/main\)/,
    );
    const ok = await runBuild(bp, opts(base, { BP_PYTHON_ENTRYPOINT: "gunicorn six:app" }));
    expect(ok.processes[0]?.command).toEqual(["sh", "-c", "exec gunicorn six:app"]);
  }, 300_000);

  test("Django's WSGI_APPLICATION pointing at a module that is not there", async () => {
    const app = {
      "requirements.txt": "six==1.17.0\n",
      "manage.py": 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
      "mysite/__init__.py": "",
      "mysite/settings.py": 'WSGI_APPLICATION = "mysite.wsgix.application"\n',
    };
    await expect(runBuild(bp, opts(app))).rejects.toThrow(
      /^web \(Django project \(mysite\/settings\.py WSGI_APPLICATION\)\): "python -m waitress .* mysite\.wsgix:application" serves module "mysite\.wsgix", which is not in the app \(no mysite\/wsgix\.py or mysite\/wsgix\)/,
    );
  }, 300_000);
});

describe("uv", () => {
  test("a lock whose setuptools has no pkg_resources for gunicorn 20: one line naming both and the fix, not an image that crashes", async () => {
    // As \`uv lock\` (0.13.9) wrote it on 2026-11-26: gunicorn 20.1.0's setuptools>=3.0 locked at 84.2.1.
    const app = {
      "pyproject.toml": `[project]
name = "hello"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["gunicorn==20.1.0"]
`,
      "uv.lock": `version = 1
revision = 5
requires-python = ">=3.11"

[[package]]
name = "gunicorn"
version = "20.1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "setuptools" },
]
sdist = { url = "https://files.pythonhosted.org/packages/28/5b/0d1f0296485a6af03366604142ea8f19f0833894db3512a40ed07b2a56dd/gunicorn-20.1.0.tar.gz", hash = "sha256:e0a968b5ba15f8a328fdfd7ab1fcb5af4470c28aaf7e55df02a99bc13138e6e8", size = 370601, upload-time = "2021-03-27T01:54:37.202Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/e4/dd/5b190393e6066286773a67dfcc2f9492058e9b57c4867a95f1ba5caf0a83/gunicorn-20.1.0-py3-none-any.whl", hash = "sha256:9dcc4547dbb1cb284accfb15ab5667a0e5d1881cc443e0677b4882a4067a807e", size = 79531, upload-time = "2021-04-27T12:16:23.375Z" },
]

[[package]]
name = "hello"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "gunicorn" },
]

[package.metadata]
requires-dist = [{ name = "gunicorn", specifier = "==20.1.0" }]

[[package]]
name = "setuptools"
version = "84.2.1"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/70/b3/c19426f783614d625699a4b247faf628ea9ab1db228674491767b417f9e1/setuptools-84.2.1.tar.gz", hash = "sha256:3ff8b3b5492a0aa66960f4419365a86b84e013070d4313e4d4a6894f5d64d6bc", size = 1230289, upload-time = "2026-10-20T19:01:37.742Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/ef/55/6dc6d6bb953bdfc52519a0059592c52b6e3b8ad51cf8256dffceb55b0610/setuptools-84.2.1-py3-none-any.whl", hash = "sha256:ca140b45d5325a9478f880e351484f62fef15f336462e449ca0c03c873d589c2", size = 876263, upload-time = "2026-10-20T19:01:35.678Z" },
]
`,
      "app.py": flaskApp,
    };
    const err = await runBuild(bp, opts(app)).then(
      () => undefined,
      (e: Error & { hint?: string }) => e,
    );
    expect(err?.message).toBe(
      "uv.lock: gunicorn 20.1.0 imports pkg_resources, which setuptools 82 removed, and the lock installs setuptools 84.2.1",
    );
    expect(err?.hint).toMatch(/^Pin setuptools<82 \(uv add "setuptools<82"\) and commit uv\.lock/);
  }, 300_000);

  test("FastAPI with uv.lock: uv sync into the venv, no dev group, uvicorn process", async () => {
    // With a layer cache, as cnbkit's platform mounts one: python_cache opts out of it (byReference: false).
    const layerCache = await mkdtemp(join(tmpdir(), "cnbkit-py-layer-cache-"));
    onTestFinished(() => rm(layerCache, { recursive: true, force: true }));
    const r = await runBuild(bp, { ...opts(testdata("uv-fastapi"), { BP_LOG_LEVEL: "debug" }), layerCache });
    const out = text(r.stdout);
    expect(out).toContain("Dependencies (uv, from uv.lock)");
    const venv = r.layer("venv");
    const names = pipList(venv.path).map((l) => l.split("==")[0]!.toLowerCase());
    expect(names).toContain("fastapi");
    expect(names).not.toContain("iniconfig");
    expect((r.sbom("venv", "cdx") as { components: unknown[] }).components.length).toBe(names.length);
    expect(r.processes[0]?.command).toEqual([
      "sh",
      "-c",
      'exec uvicorn main:app --host "${HOST:-0.0.0.0}" --port "$PORT"',
    ]);
    expect(r.layer("uv").toml?.types).toMatchObject({ build: true, launch: false, cache: true });
    // uv is its wheel's binary: no venv around it, and no pip installed for it.
    expect(readdirSync(join(r.layer("uv").path, "bin")).sort()).toEqual(["uv", "uvx"]);
    expect(existsSync(join(r.layer("uv").path, "pyvenv.cfg"))).toBe(false);
    expect(out).not.toContain("Installing pip");
    expect(out).toContain("Installing uv 0.13.9");
    // uv's wheel unpacked beside CPython (the venv is new), but its lines are in its own step,
    // once, and its staging dir is gone.
    expect(out).toMatch(/CPython runtime[\s\S]*Dependencies \(uv, from uv\.lock\)[\s\S]*Downloading uv 0\.13\.9/);
    expect(out.match(/Downloading uv /g)).toHaveLength(1);
    expect(out).toContain("Unpacking ahead, beside CPython: uv");
    expect(readdirSync(r.layers).filter((n) => n.startsWith("."))).toEqual([]);
    // uv linked the venv's files to its cache (one file system, one mount: python_cache stays in
    // the layers dir though a layer cache is there), with no fall-back to copies, and they keep
    // their contents once the cache's dirs are packed into caches.tar and removed.
    expect(r.layer("python_cache").path).toBe(join(r.layers, "python_cache"));
    expect(r.layer("python_cache").toml?.types).toEqual({ cache: true, build: false, launch: false });
    expect(existsSync(join(layerCache, "layers", "python_cache"))).toBe(false);
    expect(out).not.toMatch(/Failed to hardlink/i);
    expect(readdirSync(r.layer("python_cache").path)).toEqual(["caches.tar"]);
    const imported = spawnSync(join(venv.path, "bin", "python"), ["-c", "import fastapi, pydantic_core, uvicorn"], {
      encoding: "utf8",
    });
    expect(imported.status, imported.stderr).toBe(0);
  }, 300_000);

  test("a rebuild whose venv changed reinstalls from the cache layer, which holds one file, with the uv a no-op kept", async () => {
    const first = await runBuild(bp, opts(testdata("uv-fastapi")));
    // The lifecycle restores a cache layer file by file before every build: one tar, not uv's ~500 files.
    expect(readdirSync(first.layer("python_cache").path)).toEqual(["caches.tar"]);
    // A no-op rebuild needs no uv, and still keeps its layer for the next build that does.
    const noop = await runBuild(bp, { ...opts(first.app, { BP_LOG_LEVEL: "debug" }), restore: first.layers });
    expect(text(noop.stdout)).toContain("Nothing to install");
    // A reused venv starts no unpack ahead.
    expect(text(noop.stdout)).not.toContain("Unpacking ahead");
    expect(noop.layer("uv").toml?.types).toMatchObject({ build: true, cache: true });
    const { appendFileSync } = await import("node:fs");
    appendFileSync(join(first.app, "pyproject.toml"), "# edited\n");
    // Offline, uv can install only from the cache the previous build left.
    const again = await runBuild(bp, { ...opts(first.app, { UV_OFFLINE: "1" }), restore: noop.layers });
    expect(text(again.stdout)).toContain("Running uv sync");
    expect(text(again.stdout)).toContain("Reusing uv (key unchanged)");
    expect(pipList(again.layer("venv").path)).toEqual(pipList(first.layer("venv").path));
    expect(readdirSync(again.layer("python_cache").path)).toEqual(["caches.tar"]);
  }, 300_000);

  test("a virtual project (no [build-system]) has no scripts installed: serve runs its entry point as web, report runs", async () => {
    // As \`uv lock\` (0.13.9) wrote it: uv installs no project with no [build-system], nor its scripts.
    const app = {
      "pyproject.toml": `[project]
name = "svc"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["six==1.17.0"]

[project.scripts]
serve = "svc.cli:main"
report = "svc.cli:report"
`,
      "uv.lock": `version = 1
revision = 5
requires-python = ">=3.11"

[[package]]
name = "six"
version = "1.17.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/94/e7/b2c673351809dca68a0e064b6af791aa332cf192da575fd474ed7d6f16a2/six-1.17.0.tar.gz", hash = "sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81", size = 34031, upload-time = "2024-12-04T17:35:28.174Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/six-1.17.0-py2.py3-none-any.whl", hash = "sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274", size = 11050, upload-time = "2024-12-04T17:35:26.475Z" },
]

[[package]]
name = "svc"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "six" },
]

[package.metadata]
requires-dist = [{ name = "six", specifier = "==1.17.0" }]
`,
      "svc/__init__.py": "",
      "svc/cli.py":
        "import six\n\n\ndef main():\n    return 0\n\n\ndef report():\n    print(f'six {six.__version__}')\n",
    };
    const r = await runBuild(bp, opts(app));
    const why = "run by python -c: the project itself is not installed, so neither are its scripts";
    expect(text(r.stdout)).toContain(`web: from the project's console script "serve" (svc.cli:main, ${why})`);
    expect(r.processes.map((p) => p.type)).toEqual(["web", "report"]);
    const [cmd, ...args] = r.processes[1]!.command;
    const env = r.launchEnv("report");
    const ran = spawnSync(cmd!, args, {
      cwd: r.app,
      env: { ...env, PATH: `${env.PATH}:/usr/bin:/bin` },
      encoding: "utf8",
    });
    expect(ran.stderr).toBe("");
    expect(ran.stdout).toBe("six 1.17.0\n");
  }, 300_000);

  test("a uv.lock out of sync with pyproject.toml is one clear line", async () => {
    const first = await runBuild(bp, opts(testdata("uv-fastapi")));
    const { readFileSync, writeFileSync } = await import("node:fs");
    const py = join(first.app, "pyproject.toml");
    writeFileSync(py, readFileSync(py, "utf8").replace('"uvicorn==0.34.2"', '"uvicorn==0.34.2", "six==1.17.0"'));
    // The venv must be rebuilt, so CPython (reused from the image) is installed again first:
    // the error is uv's, not a missing interpreter.
    await expect(runBuild(bp, { ...opts(first.app), restore: first.layers })).rejects.toThrow(
      /^uv\.lock is out of sync with pyproject.toml/,
    );
  }, 300_000);
});

describe("pip + a PEP 621 project", () => {
  test("with no [build-system] (uv init's app shape) only its dependencies are installed: a flat layout with two packages builds", async () => {
    const app = {
      "pyproject.toml": ["[project]", 'name = "flat-app"', 'version = "0.1.0"', 'dependencies = ["six==1.17.0"]'].join(
        "\n",
      ),
      // setuptools' guess at this project: "Multiple top-level packages discovered in a flat-layout".
      "api/__init__.py": "",
      "models/__init__.py": "",
      "main.py": "import six\nprint(six.__version__)\n",
    };
    const r = await runBuild(bp, opts(app));
    expect(text(r.stdout)).toContain(
      "Dependencies (pip, from pyproject.toml [project] dependencies; no [build-system], so the project itself is not installed, as uv does)",
    );
    const names = pipList(r.layer("venv").path).map((l) => l.split("==")[0]!.toLowerCase());
    expect(names).toContain("six");
    expect(names).not.toContain("flat-app");
    expect(r.processes[0]?.command).toEqual(["python", "main.py"]);
  }, 300_000);

  test("pip install -e . puts the project's script in the venv, which becomes the web process; a source edit reuses the venv", async () => {
    const app = {
      "pyproject.toml": [
        "[project]",
        'name = "hello-cli"',
        'version = "0.1.0"',
        'dependencies = ["six==1.17.0"]',
        "[project.scripts]",
        'hello-cli = "hello_cli:main"',
        "[build-system]",
        'requires = ["setuptools>=69"]',
        'build-backend = "setuptools.build_meta"',
      ].join("\n"),
      "hello_cli/__init__.py": "def main():\n    print('hello')\n",
    };
    const first = await runBuild(bp, opts(app));
    expect(text(first.stdout)).toContain("Dependencies (pip, from pyproject.toml [project])");
    expect(first.processes[0]?.command).toEqual(["hello-cli"]);
    expect(existsSync(join(first.layer("venv").path, "bin", "hello-cli"))).toBe(true);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(first.app, "hello_cli", "__init__.py"), "def main():\n    print('edited')\n");
    const second = await runBuild(bp, { ...opts(first.app), restore: first.layers });
    expect(second.layer("venv").state.kind).toBe("restored");
    expect(second.processes[0]?.command).toEqual(["hello-cli"]);
  }, 300_000);
});
