import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerTest } from "../../../test/support/temp-dir.js";
import { lockfilePackages } from "./npm-lockfile-packages.js";

let dir: string;
tempDirPerTest("npm-lock", (d) => {
  dir = d;
});

const lock = (packages: Record<string, unknown>) => JSON.stringify({ lockfileVersion: 3, packages });

test("a lockfile's packages: names from paths, a file: folder printed by both names, links left out", async () => {
  await writeFile(
    join(dir, "package-lock.json"),
    lock({
      "": { name: "app" },
      "node_modules/node-gyp": { version: "11.2.0" },
      "node_modules/@scope/addon": { version: "1.0.0" },
      "node_modules/native": { link: true, resolved: "native" },
      native: { name: "hello-native", version: "1.0.0" },
    }),
  );
  expect(await lockfilePackages(dir)).toEqual([
    { path: "node_modules/node-gyp", name: "node-gyp", printedAs: ["node-gyp"], version: "11.2.0" },
    { path: "node_modules/@scope/addon", name: "@scope/addon", printedAs: ["@scope/addon"], version: "1.0.0" },
    { path: "native", name: "hello-native", printedAs: ["hello-native", "native"], version: "1.0.0" },
  ]);
});

test("with no committed lockfile, the one the install left is read, and read anew once written", async () => {
  expect(await lockfilePackages(dir)).toEqual([]);
  await mkdir(join(dir, "node_modules"));
  const hidden = join(dir, "node_modules", ".package-lock.json");
  await writeFile(hidden, lock({ "node_modules/a": { version: "1.0.0" } }));
  expect((await lockfilePackages(dir)).map((p) => p.name)).toEqual(["a"]);
  await writeFile(hidden, lock({ "node_modules/a": { version: "1.0.0" }, "node_modules/bb": { version: "2.0.0" } }));
  expect((await lockfilePackages(dir)).map((p) => p.name)).toEqual(["a", "bb"]);
});
