import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import type { UnapprovedScripts } from "./npm-install-scripts.js";
import { isAddonBuild, unbuiltAddons, unbuiltAddonsError } from "./unbuilt-addons.js";

describe("isAddonBuild", () => {
  test.each([
    ["node-gyp rebuild", true],
    ["node-gyp-build", true],
    ["prebuild-install || node-gyp rebuild --release", true],
    ["node-pre-gyp install --fallback-to-build", true],
    ["cmake-js compile", true],
    ["node install/check.js", false],
    [`node -e "try{require('./_postinstall')}catch(e){}" || exit 0`, false],
    ["node ./scripts/node-gyp-helper.js", false],
  ])("%s → %s", (command, expected) => {
    expect(isAddonBuild(command)).toBe(expected);
  });
});

const skipped = (name: string, version: string, commands: Record<string, string>): UnapprovedScripts => ({
  name,
  version,
  events: Object.keys(commands),
  commands,
});

describe("unbuiltAddons", () => {
  let dir = "";
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** An install root with `lockfile` (packages) and each package's files. */
  async function tree(lockfile: string, packages: Record<string, Record<string, unknown>>, files: string[]) {
    dir = await mkdtemp(join(tmpdir(), "cnbkit-unbuilt-addons-"));
    await mkdir(join(dir, "node_modules"));
    await writeFile(join(dir, lockfile), JSON.stringify({ lockfileVersion: 3, packages: { "": {}, ...packages } }));
    for (const path of [...Object.keys(packages).filter((p) => !packages[p]!.link), ...files]) {
      const file = path.endsWith(".node") ? path : join(path, "package.json");
      await mkdir(join(dir, file, ".."), { recursive: true });
      await writeFile(join(dir, file), "{}");
    }
  }

  test("a file: addon and a nested one that npm 12 left unbuilt; one with prebuilds and a non-addon script are not", async () => {
    await tree(
      "package-lock.json",
      {
        native: { name: "hello-native", version: "1.0.0", hasInstallScript: true },
        "node_modules/hello-native": { resolved: "native", link: true },
        "node_modules/bcrypt": { version: "6.0.0", hasInstallScript: true },
        "node_modules/es5-ext": { version: "0.10.64", hasInstallScript: true },
        "node_modules/@acme/db": { version: "2.0.0" },
        "node_modules/@acme/db/node_modules/sqlite-ish": { version: "3.1.0", hasInstallScript: true },
      },
      ["node_modules/bcrypt/prebuilds/linux-x64/bcrypt.node"],
    );
    const found = await unbuiltAddons(dir, [
      // npm ci prints a file: dependency by its folder's name.
      skipped("native", "1.0.0", { install: "node-gyp rebuild" }),
      skipped("bcrypt", "6.0.0", { install: "node-gyp-build" }),
      skipped("es5-ext", "0.10.64", { postinstall: "node -e x" }),
      skipped("sqlite-ish", "3.1.0", { install: "prebuild-install || node-gyp rebuild --release" }),
    ]);
    expect(found.map((a) => [a.name, a.command, a.path])).toEqual([
      ["hello-native", "node-gyp rebuild", "native"],
      ["sqlite-ish", "prebuild-install || node-gyp rebuild --release", "node_modules/@acme/db/node_modules/sqlite-ish"],
    ]);
  });

  test("a compiled build/Release/*.node counts; a folder named as the path says needs no name field", async () => {
    await tree(
      "package-lock.json",
      { addon: { version: "1.0.0" }, "node_modules/addon": { resolved: "addon", link: true } },
      ["addon/build/Release/addon.node"],
    );
    expect(await unbuiltAddons(dir, [skipped("addon", "1.0.0", { install: "node-gyp rebuild" })])).toEqual([]);
    await rm(join(dir, "addon", "build"), { recursive: true });
    expect((await unbuiltAddons(dir, [skipped("addon", "1.0.0", { install: "node-gyp rebuild" })]))[0]?.path).toBe(
      "addon",
    );
  });

  test("without package-lock.json, npm's hidden lockfile; a package it cannot find is left out", async () => {
    await tree(join("node_modules", ".package-lock.json"), { "node_modules/bufferutil": { version: "4.0.9" } }, []);
    const found = await unbuiltAddons(dir, [
      skipped("bufferutil", "4.0.9", { install: "node-gyp-build" }),
      skipped("elsewhere", "1.0.0", { install: "node-gyp rebuild" }),
    ]);
    expect(found.map((a) => a.path)).toEqual(["node_modules/bufferutil"]);
  });
});

describe("unbuiltAddonsError", () => {
  const addon = (name: string, command = "node-gyp rebuild") => ({
    package: skipped(name, "1.0.0", { install: command }),
    name,
    command,
    path: `node_modules/${name}`,
  });

  test("one addon: its name, the skipped script, npm's version and the fix", () => {
    expect(unbuiltAddonsError([addon("hello-native")], "12.2.1", "package.json")).toEqual({
      line: 'hello-native@1.0.0 has no compiled addon: npm 12.2.1 skipped its install script (node-gyp rebuild), which package.json "allowScripts" does not approve',
      hint: 'Run "npm approve-scripts hello-native" and commit package.json; if the app never loads it, "npm deny-scripts hello-native" says so and the build goes on',
    });
  });

  test("several: every one named, in one line", () => {
    const e = unbuiltAddonsError([addon("a"), addon("b", "node-gyp-build")], "12.2.1", "packages/web/package.json");
    expect(e.line).toBe(
      '2 dependencies have no compiled addon: npm 12.2.1 skipped their install scripts, which packages/web/package.json "allowScripts" does not approve: a@1.0.0 (node-gyp rebuild), b@1.0.0 (node-gyp-build)',
    );
    expect(e.hint).toMatch(/^Run "npm approve-scripts a b" and commit packages\/web\/package\.json;/);
  });
});
