/**
 * One app with a native addon compiled by node-gyp at install (fixture native-addon:
 * hello-native is file:./native, an N-API addon in C with `install: node-gyp rebuild`, no
 * prebuilt binary), built under npm 11 and 12 as engines.npm picks them (npm 10 is in the long
 * suite, test/long/node-corpus.test.ts), then run under runc and asked over HTTP: the answer's 42 comes from the compiled addon, whose JS has no
 * fallback. npm 12 skips a dependency's install scripts unless package.json `allowScripts`
 * approves them: approved, the addon is built and serves; not approved, the build fails in
 * one line that names the addon and the fix, rather than passing with an image that would
 * crash at its first require (see unbuilt-addons.ts in the Node.js buildpack for why).
 *
 * One more case leaves the Node.js line open (`engines.node ">=20"`) while the addon declares
 * `engines.node` "20.x || 22.x || 24.x" in the lock: it builds and runs on Node.js 24, not the
 * inventory's newest 26, and the log names the addon that narrowed the choice.
 *
 * The lockfile (npm 11.19.1) is the same for every case: npm 10 to 12 all read lockfileVersion 3,
 * and neither engines nor allowScripts is in it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type AppCase, testAppCases } from "./app-case.js";
import { nativeAddonPackageJson } from "./node-app-shapes.js";
import { FIXTURES } from "./support.js";

const ANSWER = /^200 native-addon: 6 \* 7 = 42 computed by the hello-native addon\n$/;

/**
 * The fixture as an app that leaves its Node.js line open (`engines.node ">=20"`) while its
 * addon declares `engines.node` "20.x || 22.x || 24.x" (better-sqlite3 12's shape: no 26),
 * in its own package.json and, as npm writes it, in the lock. The server says which Node.js
 * it runs on.
 */
function addonEnginesApp(): Record<string, string> {
  const dir = join(FIXTURES, "native-addon");
  const pkg = { ...JSON.parse(readFileSync(join(dir, "package.json"), "utf8")), engines: { node: ">=20" } };
  const native = JSON.parse(readFileSync(join(dir, "native/package.json"), "utf8"));
  const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8"));
  lock.packages.native.engines = { node: "20.x || 22.x || 24.x" };
  const server = readFileSync(join(dir, "server.js"), "utf8").replace(
    "computed by the hello-native addon",
    // ${…} is evaluated by the server, in its own template literal.
    `computed by the hello-native addon on Node.js $\{process.version}`,
  );
  if (!server.includes("process.version")) throw new Error("native-addon/server.js changed: update addonEnginesApp");
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  return {
    "package.json": json(pkg),
    "native/package.json": json({ ...native, engines: { node: "20.x || 22.x || 24.x" } }),
    "package-lock.json": json(lock),
    "server.js": server,
  };
}

const cases: Record<string, AppCase> = {
  // The inventory's newest line (26) is what ">=20" alone gets; the addon's engines keep it on 24.
  'engines.node ">=20" with an addon whose engines stop at 24 builds and runs on Node.js 24': {
    fixture: "native-addon",
    files: addonEnginesApp(),
    output: [
      /Node\.js 24\.\d+\.\d+, not 26\.\d+\.\d+: the lock's hello-native@1\.0\.0 declares engines\.node "20\.x \|\| 22\.x \|\| 24\.x" \(engines\.node ">=20" allows both\)/,
      /Selected Node\.js 24\.\d+\.\d+/,
    ],
    answer: /^200 native-addon: 6 \* 7 = 42 computed by the hello-native addon on Node\.js v24\.\d+\.\d+\n$/,
  },
  // ">=10" admits npm 12, and package.json has no allowScripts: the buildpack keeps the app on
  // npm 11, whose (11.16+) install still runs the script and names it as one npm 12 would skip.
  'npm 11 chosen for engines.npm ">=10" without allowScripts': {
    fixture: "native-addon",
    files: nativeAddonPackageJson(">=10"),
    output: [
      /npm ">=10\.0\.0 <12\.0\.0-0": engines\.npm ">=10" admits npm 12/,
      /Using npm 11\.\d+\.\d+/,
      /npm 12 will skip the install scripts of 1 dependency that package\.json "allowScripts" does not approve: native@1\.0\.0 \(install\)/,
    ],
    answer: ANSWER,
  },
  // The key is what `npm approve-scripts hello-native` writes for a file: dependency. (npm ci
  // names it by its folder, "native@1.0.0", in its allowScripts list; approve-scripts takes either.)
  "npm 12 with allowScripts approving the addon": {
    fixture: "native-addon",
    files: nativeAddonPackageJson("12.x", { "file:../native": true }),
    output: [/Using npm 12\.\d+\.\d+/],
    answer: ANSWER,
  },
  "npm 12 without approval fails, naming the addon and the fix": {
    fixture: "native-addon",
    files: nativeAddonPackageJson("12.x"),
    output: [
      /Using npm 12\.\d+\.\d+/,
      /Warning: npm skipped the install scripts of 1 dependency that package\.json "allowScripts" does not approve: native@1\.0\.0 \(install\)/,
      /If the app needs them, run "npm approve-scripts native" \(npm 11\.16 or later\) and commit package\.json/,
    ],
    expectFailure:
      /hello-native@1\.0\.0 has no compiled addon: npm 12\.\d+\.\d+ skipped its install script \(node-gyp rebuild\), which package\.json "allowScripts" does not approve/,
    expectHint:
      /^Run "npm approve-scripts hello-native" and commit package\.json; if the app never loads it, "npm deny-scripts hello-native" says so and the build goes on$/,
  },
};

testAppCases(cases);
