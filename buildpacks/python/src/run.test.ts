import { describe, expect, test } from "vitest";
import { compilerFailure, explainFailure } from "./run.js";

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
