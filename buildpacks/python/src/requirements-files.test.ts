import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import { decodeRequirements, includedPaths, pipRequirementFiles, requirementsClosure } from "./requirements-files.js";

describe("the files a requirements file includes", () => {
  test.each<[string, string, string[]]>([
    ["-r with a space", "-r requirements/production.txt\n", ["requirements/production.txt"]],
    ["-r attached, as optparse allows", "-rbase.txt\n", ["base.txt"]],
    [
      "--requirement= and --constraint",
      "--requirement=base.txt\n--constraint constraints.txt\n",
      ["base.txt", "constraints.txt"],
    ],
    ["-c", "-c constraints.txt", ["constraints.txt"]],
    [
      "comments and requirements are not files",
      "# -r nope.txt\nflask==3.1.0  # -r nope.txt\n-r real.txt # base\n",
      ["real.txt"],
    ],
    ["a line continued with a backslash", "-r \\\n  base.txt\n", ["base.txt"]],
    ["URLs and env vars are not read", "-r https://example.com/r.txt\n-r ${REQS}/base.txt\n", []],
    ["other options are not files", "--index-url https://pypi.example/simple\n-e .\n--find-links ./wheels\n", []],
  ])("%s", (_name, text, paths) => {
    expect(includedPaths(text)).toEqual(paths);
  });

  test("UTF-16 with a BOM is decoded as pip decodes it", () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("-r base.txt\n", "utf16le")]);
    expect(decodeRequirements(le)).toBe("-r base.txt\n");
    expect(decodeRequirements(Buffer.from("\uFEFFflask\n"))).toBe("flask\n");
  });

  test("cookiecutter-django's layout: the closure follows includes relative to each file, once each", async () => {
    const app = await mkdtemp(join(tmpdir(), "cnbkit-reqs-"));
    onTestFinished(() => rm(app, { recursive: true, force: true }));
    const files: Record<string, string> = {
      "requirements.txt": "# Heroku and buildpacks read this file\n-r requirements/production.txt\n",
      "requirements/production.txt": "-r base.txt\ngunicorn==23.0.0\n-c ../constraints.txt\n",
      "requirements/base.txt": "django==5.2.1\n-r base.txt\n-r missing.txt\n-r ../../outside.txt\n",
      "constraints.txt": "sqlparse<0.6\n",
    };
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(dirname(join(app, rel)), { recursive: true });
      await writeFile(join(app, rel), text);
    }
    expect(await requirementsClosure(app, "requirements.txt")).toEqual([
      "requirements.txt",
      "requirements/production.txt",
      "requirements/base.txt",
      "constraints.txt",
    ]);
  });
});

describe("BP_PIP_REQUIREMENT", () => {
  test("files in the app, by spaces or commas, each once; unset is none; anything else is one line", async () => {
    const app = await mkdtemp(join(tmpdir(), "cnbkit-reqs-"));
    onTestFinished(() => rm(app, { recursive: true, force: true }));
    await mkdir(join(app, "requirements"));
    await writeFile(join(app, "requirements", "prod.txt"), "six\n");
    await writeFile(join(app, "extra.txt"), "idna\n");
    expect(await pipRequirementFiles(app, undefined)).toEqual([]);
    expect(await pipRequirementFiles(app, " requirements/prod.txt,extra.txt ./extra.txt")).toEqual([
      "requirements/prod.txt",
      "extra.txt",
    ]);
    for (const bad of ["requirements/dev.txt", "requirements", "../etc/passwd", "/etc/passwd"]) {
      await expect(pipRequirementFiles(app, bad)).rejects.toThrow(
        `BP_PIP_REQUIREMENT: "${bad}" is not a file in the app directory`,
      );
    }
  });
});
