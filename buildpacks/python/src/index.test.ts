import { existsSync } from "node:fs";
import { join } from "node:path";
import { runBuild, runDetect } from "@cnbkit/framework/testing";
import { describe, expect, test } from "vitest";
import bp from "./index.js";
import { pythonHarness } from "./testing/harness.js";

// The host's python3.11 as a file:// CPython in install_only layout; pip, uv and the servers
// are the real inventory's wheels from PyPI, and the installs are real.
const py = pythonHarness();
const { opts } = py;
const text = (lines: string[]) => lines.join("\n");

describe("detect", () => {
  test.each(["requirements.txt", "pyproject.toml", "Pipfile", "uv.lock", "runtime.txt", "main.py", "manage.py"])(
    "%s passes, providing and requiring cpython",
    async (file) => {
      const r = await runDetect(bp, opts({ [file]: file === "pyproject.toml" ? '[project]\nname = "x"\n' : "" }));
      expect(r.passed).toBe(true);
      expect(r.plans[0]?.provides.map((p) => p.name)).toEqual(["cpython"]);
      expect(r.plans[0]?.requires).toEqual([{ name: "cpython", metadata: { launch: true } }]);
    },
  );
  test("no Python files fails with a reason", async () => {
    const r = await runDetect(bp, opts({ "package.json": "{}" }));
    expect(r.result).toMatchObject({ kind: "fail", reason: expect.stringMatching(/^no Python files \(uv.lock/) });
  });
  test("a malformed pyproject.toml names the file and line", async () => {
    await expect(runDetect(bp, opts({ "pyproject.toml": '[project]\nname = "x"\nversion = \n' }))).rejects.toThrow(
      /^pyproject.toml:3:\d+: invalid TOML/,
    );
  });
});

describe("builds that must fail", () => {
  test("a .python-version holding only comments and blank lines: one line and a hint", async () => {
    const err = await runBuild(bp, opts({ ".python-version": "# pyenv\n\n", "main.py": "" })).catch((e) => e);
    expect(err.message).toBe(".python-version: the file holds no version (only comments or blank lines)");
    expect(err.hint).toBe('Write a version such as "3.13" on its first line, or delete the file.');
  }, 300_000);

  test("no entry point at all fails with one line; a Procfile or a package.json (cnbkit/nodejs) lets it pass", async () => {
    const app = { "pyproject.toml": '[project]\nname = "lib"\nversion = "1.0"\n', "lib/util.py": "X = 1\n" };
    const err = await runBuild(bp, opts(app)).catch((e) => e);
    expect(err.message).toMatch(
      /^No start command: no app object \(app = Flask\(…\), FastAPI\(…\), …\) in main\.py, app\.py/,
    );
    expect(err.message).not.toContain("\n");
    expect(err.hint).toMatch(/^Add a Procfile \("web: gunicorn <module>:<app>"/);
    const procfile = await runBuild(bp, opts({ ...app, Procfile: "worker: python -m lib.util\n" }));
    expect(procfile.processes).toEqual([]);
    const node = await runBuild(bp, opts({ ...app, "package.json": "{}" }));
    expect(text(node.stdout)).toContain("Warning: No start command");
  }, 300_000);
});

describe("a module exposing a WSGI app with no framework and no requirements", () => {
  test("is served by waitress on $PORT, not run as python main.py", async () => {
    const main = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'hi']\n";
    const r = await runBuild(bp, opts({ "main.py": main }));
    expect(text(r.stdout)).toContain(
      "web: from WSGI app in main.py; no WSGI server among the dependencies, adding waitress",
    );
    expect(r.processes[0]?.command).toEqual([
      "sh",
      "-c",
      'exec python -m waitress --listen="${HOST:-0.0.0.0}:$PORT" main:app',
    ]);
    expect(r.layer("waitress").toml?.types).toMatchObject({ launch: true });
  }, 300_000);
});

describe("a lone main.py", () => {
  test("gets CPython, launch env, the web process, exec.d and an SBOM", async () => {
    const r = await runBuild(bp, opts({ "main.py": "print('hi')\n" }));
    const out = text(r.stdout);
    expect(out).toContain('using the default "3.11.x"');
    expect(out).toContain(`Selected CPython ${py.version}`);
    expect(r.processes).toEqual([{ type: "web", command: ["python", "main.py"], default: true }]);
    const cpython = r.layer("cpython");
    expect(cpython.toml?.metadata?.["cache-key"]).toMatchObject({ version: py.version, arch: "amd64" });
    // The key earlier builds stored (no id): a different one would drop every cached and exported CPython.
    expect(Object.keys(cpython.toml?.metadata?.["cache-key"] ?? {})).toEqual(["version", "sha256", "arch", "bytecode"]);
    expect(existsSync(join(cpython.path, "bin", "python3"))).toBe(true);
    // Launch-only: nothing runs Python at build time after this buildpack.
    expect(cpython.toml?.types).toEqual({ build: false, launch: true, cache: false });
    const env = r.launchEnv("web");
    expect(env.PYTHONUNBUFFERED).toBe("1");
    expect(env.LANG).toBe("C.UTF-8");
    expect(env.PORT).toBe("8080");
    expect(r.layer("python_exec_d").files).toEqual(["exec.d/web-concurrency"]);
    const cdx = r.sbom("cpython", "cdx") as { components: { name: string; cpe?: string }[] };
    expect(cdx.components[0]).toMatchObject({
      name: "CPython",
      cpe: `cpe:2.3:a:python:python:${py.version}:*:*:*:*:*:*:*`,
    });
    expect(out).not.toContain("Package manager");
  });

  test("a requires-python nothing meets is one clear error listing the newest", async () => {
    await expect(
      runBuild(bp, opts({ "main.py": "", "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.15"\n' })),
    ).rejects.toThrow(
      `pyproject.toml requires-python: ">=3.15" matches no CPython version in the inventory for linux/amd64 (newest: ${py.version})`,
    );
  });

  test("a build env that sends pip's installs elsewhere stops the build before any layer is made", async () => {
    const build = runBuild(bp, opts({ "requirements.txt": "flask==3.1.0\n" }, { PIP_TARGET: "/tmp/elsewhere" }));
    await expect(build).rejects.toThrow(
      "build env: this variable breaks the install: PIP_TARGET (pip installs into another directory)",
    );
  });

  test("a cache dir from the build env is not used, and the log says so", async () => {
    const r = await runBuild(bp, opts({ "main.py": "" }, { UV_CACHE_DIR: "/tmp/uv-cache" }));
    expect(text(r.stdout)).toContain(
      "Not used from the build env: UV_CACHE_DIR (the buildpack sets its own for its layers)",
    );
  });

  test("BP_PYTHON_ENTRYPOINT overrides", async () => {
    const r = await runBuild(bp, opts({ "main.py": "" }, { BP_PYTHON_ENTRYPOINT: "python -m http.server $PORT" }));
    expect(r.processes[0]?.command).toEqual(["sh", "-c", "exec python -m http.server $PORT"]);
  });
});
