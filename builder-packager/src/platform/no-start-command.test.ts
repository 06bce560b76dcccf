import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { noStartCommandLine, unservedLanguage } from "./no-start-command.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function app(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-nostart-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

test("a Laravel app (composer.json beside its Vite package.json) and eShop (a solution beside its package.json) are named", async () => {
  const laravel = await app({
    "composer.json": '{"require": {"laravel/framework": "^12.0"}}',
    "package.json": '{"scripts": {"build": "vite build"}}',
    artisan: "#!/usr/bin/env php\n",
  });
  expect(await unservedLanguage(laravel)).toEqual({ language: "PHP", file: "composer.json" });
  const eshop = await app({
    "eShop.slnx": "<Solution />",
    "package.json": '{"devDependencies": {"@playwright/test": "^1.42.1"}}',
    "src/WebApp/WebApp.csproj": "<Project />",
  });
  expect(await unservedLanguage(eshop)).toEqual({ language: ".NET", file: "eShop.slnx" });
  expect(await unservedLanguage(await app({ "package.json": "{}" }))).toBeUndefined();
});

test("the warning says why there is no start command and what to do", () => {
  expect(noStartCommandLine({ types: [], unserved: { language: "PHP", file: "composer.json" } })).toBe(
    "warning: the image has no start command (no buildpack set a default process): composer.json says this is a PHP app, and cnbkit's buildpacks serve Node.js, Python, Java, Go and static sites, not PHP; the image holds only what they built (its package.json's assets, say) and cannot serve the app",
  );
  expect(noStartCommandLine({ types: ["worker", "clock"], unserved: undefined })).toMatch(
    /: start one of its process types with cnbkit run --process \(worker, clock\), or build with --default-process$/,
  );
  expect(noStartCommandLine({ types: [], unserved: undefined })).toMatch(/: add a Procfile with a web: line/);
});
