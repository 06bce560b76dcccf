import { describe, expect, test } from "vitest";
import { crossArchBlocker, type PipReport, parsePipReport } from "./pip-report.js";

/** A report of the shape pip 26.3 writes, for flask and markupsafe from PyPI wheels. */
function report(extra: Partial<PipReport["install"][number]>[] = []): PipReport {
  const item = (name: string, version: string, file: string, requires: string[] = []) => ({
    download_info: { url: `https://files.pythonhosted.org/packages/ab/cd/${file}` },
    is_direct: false,
    requested: true,
    metadata: { name, version, requires_dist: requires },
  });
  return {
    version: "1",
    install: [
      item("flask", "3.1.3", "flask-3.1.3-py3-none-any.whl", [
        "markupsafe>=2.1.1",
        'asgiref>=3.2; extra == "async"',
        'importlib-metadata>=3.6; python_version < "3.10"',
      ]),
      item("markupsafe", "3.0.4", "markupsafe-3.0.4-cp313-cp313-manylinux2014_x86_64.whl"),
      ...extra.map((e) => ({ ...item("x", "1", "x-1-py3-none-any.whl"), ...e })),
    ],
  };
}

const blocker = (r: PipReport, requirements = ["flask==3.1.3\nmarkupsafe==3.0.4\n"]) =>
  crossArchBlocker(r, requirements, "3.13.5", "amd64", "arm64");

describe("crossArchBlocker", () => {
  test("wheels from an index whose markers do not read the CPU resolve the same on arm64", () => {
    expect(blocker(report())).toBeUndefined();
  });

  test("a requirement or a dependency whose marker reads the CPU does not", () => {
    expect(blocker(report(), ['flask==3.1.3\nuvloop==0.21; platform_machine == "x86_64"  # fast\n'])).toBe(
      'the requirement "uvloop==0.21; platform_machine == "x86_64"" depends on the CPU',
    );
    const cpu = report([
      {
        metadata: {
          name: "grpc",
          version: "1",
          requires_dist: ['x; extra == "aio" and platform_machine != "aarch64"'],
        },
      },
    ]);
    expect(blocker(cpu)).toContain(
      `grpc 1's requirement "x; extra == "aio" and platform_machine != "aarch64"" depends on the CPU`,
    );
  });

  test("a distribution built here from its sdist, a direct reference and pinned hashes are declined", () => {
    const sdist = report([{ download_info: { url: "https://files.example/pkgs/legacy-1.0.tar.gz" } }]);
    expect(blocker(sdist)).toBe("x 1 was built here from legacy-1.0.tar.gz: what a build makes may depend on the CPU");
    expect(blocker(report([{ is_direct: true, download_info: { url: "file:///workspace" } }]))).toBe(
      "x 1 is a direct reference (file:///workspace)",
    );
    expect(blocker(report(), ["flask==3.1.3 \\\n    --hash=sha256:abc\n"])).toContain("pin wheel hashes");
  });

  test("parsePipReport refuses another format", () => {
    expect(parsePipReport('{"version": "2", "install": []}')).toEqual({
      not: "pip's report is of format 2 (this reads 1)",
    });
  });
});
