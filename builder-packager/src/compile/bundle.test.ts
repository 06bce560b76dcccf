import { spawnSync } from "node:child_process";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, test } from "vitest";
import { tempDirPerFile } from "../../../test/support/temp-dir.js";
import { CnbError } from "@cnbkit/framework";
import { bundleBuildpack } from "./bundle.js";

const fixture = join(import.meta.dirname, "fixtures", "tiny");
let tmp: string;

tempDirPerFile("bundle", (d) => {
  tmp = d;
});

test("the same sources bundle to the same bytes wherever they sit", async () => {
  await cp(fixture, join(tmp, "a", "deep", "copy"), { recursive: true });
  await cp(fixture, join(tmp, "b"), { recursive: true });
  const a = await bundleBuildpack({ entry: join(tmp, "a", "deep", "copy", "entry.ts"), nodeVersion: "26.10.0" });
  const b = await bundleBuildpack({ entry: join(tmp, "b", "entry.ts"), nodeVersion: "26.10.0" });
  expect(a.code).toBe(b.code);
  expect(a.code).not.toContain(tmp);
  expect(a.warnings).toEqual([]);
});

test("is CommonJS with no import.meta left, whitespace minified but names readable", async () => {
  const { code } = await bundleBuildpack({ entry: join(fixture, "entry.ts"), nodeVersion: "26.10.0" });
  expect(code).not.toMatch(/import\.meta/);
  expect(code).not.toMatch(/^\s*(import|export)\s/m);
  expect(code).toContain("function describe(");
  // A dozen lines of loader; every module is one JSON string literal.
  expect(code.trim().split("\n").length).toBeLessThan(15);
  const modules = JSON.parse(/^const __cnbkit_modules=(.*);$/m.exec(code)![1]!) as Record<string, string>;
  expect(Object.keys(modules)).toContain("./main.js");
  for (const source of Object.values(modules)) expect(source).not.toMatch(/^\s*(import|export)\s/m);
});

test("the bundle runs on plain node: argv, env, exit code and import.meta.url work", async () => {
  const { code } = await bundleBuildpack({ entry: join(fixture, "entry.ts"), nodeVersion: "26.10.0" });
  const script = join(tmp, "detect");
  await writeFile(script, code);
  const report = join(tmp, "report.json");
  const res = spawnSync(process.execPath, [script, "x"], { env: { ...process.env, FIXTURE_OUT: report } });
  expect(res.status).toBe(100);
  const got = JSON.parse(await readFile(report, "utf8"));
  expect(got).toMatchObject({ invokedAs: "detect", args: ["x"], version: process.version });
  expect(got.metaUrl).toBe(pathToFileURL(script).href);
});

test("an unresolvable import is a one-line CnbError naming file, line and column", async () => {
  const entry = join(tmp, "broken.ts");
  await writeFile(entry, 'const x = 1;\nimport { nope } from "./missing.js";\nconsole.log(nope, x);\n');
  const err = await bundleBuildpack({ entry, nodeVersion: "26.10.0" }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CnbError);
  expect((err as Error).message).toMatch(/^broken\.ts:2:\d+: Could not resolve "\.\/missing\.js"$/);
});

test("a missing entry file is a CnbError", async () => {
  await expect(bundleBuildpack({ entry: join(tmp, "none.ts"), nodeVersion: "26.10.0" })).rejects.toThrow(
    /none\.ts: buildpack entry file not found/,
  );
});

test("an optional peer that is not installed is left to fail at run time; a missing dependency is an error", async () => {
  const dir = join(tmp, "optional");
  const lib = join(dir, "node_modules", "lib-with-plugins");
  await mkdir(lib, { recursive: true });
  await writeFile(
    join(lib, "package.json"),
    JSON.stringify({
      name: "lib-with-plugins",
      main: "index.js",
      peerDependenciesMeta: { "absent-plugin": { optional: true } },
    }),
  );
  await writeFile(
    join(lib, "index.js"),
    'let p = null;\ntry { p = require("absent-plugin"); } catch {}\nmodule.exports = p ? "plugin" : "fallback";\n',
  );
  await writeFile(join(dir, "ok.ts"), 'import mode from "lib-with-plugins";\nconsole.log(mode);\n');
  await writeFile(join(dir, "bad.ts"), 'import x from "not-installed-anywhere";\nconsole.log(x);\n');

  const { code } = await bundleBuildpack({ entry: join(dir, "ok.ts"), nodeVersion: "26.10.0" });
  await writeFile(join(dir, "ok.cjs"), code);
  const res = spawnSync(process.execPath, [join(dir, "ok.cjs")], { encoding: "utf8" });
  expect(res.stdout.trim()).toBe("fallback");

  await expect(bundleBuildpack({ entry: join(dir, "bad.ts"), nodeVersion: "26.10.0" })).rejects.toThrow(
    /^bad\.ts:1:\d+: Could not resolve "not-installed-anywhere"$/,
  );
});
