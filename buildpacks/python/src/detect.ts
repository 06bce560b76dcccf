/**
 * Detect: passes for a Python app: a dependency file (requirements.txt, pyproject.toml,
 * Pipfile, a lockfile), setup.py/setup.cfg, a version file (.python-version, runtime.txt) or a
 * start file (main.py, app.py, server.py, manage.py). A pyproject.toml with a syntax error
 * stops the build, naming the line.
 */
import { type DetectContext, type DetectResult, detectRules } from "@cnbkit/framework";
import { DEPENDENCY_FILES } from "./package-manager.js";
import type { PythonMetadata } from "./steps/install-runtime.js";

/** Files any one of which makes an app a Python app. */
export const PYTHON_FILES = [
  ...DEPENDENCY_FILES,
  ".python-version",
  "runtime.txt",
  "main.py",
  "app.py",
  "server.py",
  "manage.py",
];

/**
 * Detects a Python app: declared as rules, so the packaged bin/detect is a sh script that
 * starts Node only when pyproject.toml is there (it must parse).
 */
export const detect = detectRules<PythonMetadata>({
  rules: [
    { when: { file: "pyproject.toml" }, outcome: "code" },
    {
      when: { anyFile: PYTHON_FILES.filter((f) => f !== "pyproject.toml") },
      outcome: {
        pass: { provides: [{ name: "cpython" }], requires: [{ name: "cpython", metadata: { launch: true } }] },
      },
    },
  ],
  otherwise: { fail: failReason() },
  code: detectCode,
});

function failReason(): string {
  return `no Python files (${PYTHON_FILES.slice(0, 6).join(", ")}, main.py, ...) in the app`;
}

/** The TypeScript detect, for a pyproject.toml (the rules leave it to code). */
async function detectCode(ctx: DetectContext<PythonMetadata>): Promise<DetectResult> {
  for (const f of PYTHON_FILES) {
    if (!(await ctx.app.exists(f))) continue;
    if (await ctx.app.exists("pyproject.toml")) await ctx.app.readToml("pyproject.toml");
    // Launch only: a later buildpack that runs Python at build time asks with build = true.
    return ctx.pass({ provides: [{ name: "cpython" }], requires: [{ name: "cpython", metadata: { launch: true } }] });
  }
  return ctx.fail(failReason());
}
