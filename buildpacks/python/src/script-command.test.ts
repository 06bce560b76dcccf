import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { entryPointCommand, entryPointModule } from "./script-command.js";

test.each([
  ["app.main:run", ["python", "-c", "import sys; from app.main import run; sys.exit(run())"]],
  ["pkg.server:App.serve", ["python", "-c", "import sys; from pkg.server import App; sys.exit(App.serve())"]],
  [" cli : main [extra]", ["python", "-c", "import sys; from cli import main; sys.exit(main())"]],
  ["app.main", undefined],
  ["app.main:run()", undefined],
  ["app/main.py:run", undefined],
  ['x:y"; rm -rf /', undefined],
])("entry point %j runs as %j", (target, command) => {
  expect(entryPointCommand(target)).toEqual(command);
});

test("a src layout imports the module from src/", () => {
  expect(entryPointCommand("pkg.cli:main", "src")).toEqual([
    "sh",
    "-c",
    'PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}" exec python -c "import sys; from pkg.cli import main; sys.exit(main())"',
  ]);
  expect(entryPointModule("pkg.cli:main")).toBe("pkg.cli");
});

test("the command runs the function from the app dir and exits with what it returns, as the script would", async () => {
  const app = await mkdtemp(join(tmpdir(), "cnbkit-entry-"));
  onTestFinished(() => rm(app, { recursive: true, force: true }));
  await mkdir(join(app, "src", "pkg"), { recursive: true });
  await writeFile(join(app, "src", "pkg", "__init__.py"), "");
  await writeFile(join(app, "src", "pkg", "cli.py"), "def main():\n    print('ran')\n    return 3\n");
  // `python` is the venv's in the image; here, a link to the host's.
  await mkdir(join(app, "bin"));
  await symlink("/usr/bin/python3.11", join(app, "bin", "python"));
  const [cmd, ...args] = entryPointCommand("pkg.cli:main", "src")!;
  const r = spawnSync(cmd!, args, {
    cwd: app,
    encoding: "utf8",
    env: { PATH: `${join(app, "bin")}:/usr/bin:/bin` },
  });
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("ran\n");
  expect(r.status).toBe(3);
});
