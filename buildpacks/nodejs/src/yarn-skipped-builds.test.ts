import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { yarnSkippedBuilds, yarnSkippedBuildsWarning } from "./yarn-skipped-builds.js";

// Real output, captured once: Yarn 4.18.1 (enableScripts off by default since 4.14)
// installing better-sqlite3 11.7.0 with `yarn install --immutable`, exit 0.
const out = readFileSync(
  new URL("../testdata/build-failures/yarn4.18-better-sqlite3-scripts-disabled.out", import.meta.url),
  "utf8",
);

test("Yarn 4.14+'s skipped dependency builds come back as packages, once each", () => {
  expect(yarnSkippedBuilds(out)).toEqual(["better-sqlite3@11.7.0"]);
  expect(yarnSkippedBuilds(`${out}\n${out}`)).toEqual(["better-sqlite3@11.7.0"]);
  // A build disabled on purpose (dependenciesMeta built: false) is YN0005, not this.
  expect(
    yarnSkippedBuilds(
      "➤ YN0005: │ esbuild@npm:0.25.0 lists build scripts, but its build has been explicitly disabled through configuration.",
    ),
  ).toEqual([]);
  expect(yarnSkippedBuilds("➤ YN0000: · Done in 1s")).toEqual([]);
});

test("the warning names them and gives the dependenciesMeta that turns them on", () => {
  const w = yarnSkippedBuildsWarning(["better-sqlite3@11.7.0", "@scope/addon@1.0.0"], "package.json");
  expect(w.line).toBe(
    "Yarn skipped the build scripts of 2 dependencies, as its enableScripts is off: better-sqlite3@11.7.0, @scope/addon@1.0.0",
  );
  expect(w.hint).toBe(
    'If the app needs them, add "dependenciesMeta": {"better-sqlite3":{"built":true},"@scope/addon":{"built":true}} to package.json, run "yarn install" and commit it and yarn.lock (or set enableScripts: true in .yarnrc.yml)',
  );
});
