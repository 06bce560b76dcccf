import { describe, expect, test } from "vitest";
import { narrowNpmRange, scriptPolicyReport, scriptPolicyWarning } from "./npm-install-scripts.js";

// Verbatim (less the "Unknown user config" line) from `npm ci` on an app depending on
// es5-ext@0.10.64, whose postinstall is a node one-liner: npm 12.2.1 and npm 11.21.2.
const NPM12 = `
added 9 packages in 1s
npm warn install-scripts 1 package had install scripts blocked because they are not covered by allowScripts:
npm warn install-scripts   es5-ext@0.10.64 (postinstall:  node -e "try{require('./_postinstall')}catch(e){}" || exit 0)
npm warn install-scripts
npm warn install-scripts Run \`npm install-scripts ls\` to review, or \`npm install-scripts approve <pkg>\` to allow.`;
const NPM11 = `
added 9 packages in 1s
npm warn install-scripts 1 package has install scripts not yet covered by allowScripts:
npm warn install-scripts   es5-ext@0.10.64 (postinstall:  node -e "try{require('./_postinstall')}catch(e){}" || exit 0)
npm warn install-scripts
npm warn install-scripts Run \`npm install-scripts ls\` to review, or \`npm install-scripts approve <pkg>\` to allow.`;

describe("scriptPolicyReport", () => {
  test("npm 12 skipped them", () => {
    expect(scriptPolicyReport(NPM12)).toEqual({
      skipped: true,
      packages: [
        {
          name: "es5-ext",
          version: "0.10.64",
          events: ["postinstall"],
          commands: { postinstall: `node -e "try{require('./_postinstall')}catch(e){}" || exit 0` },
        },
      ],
    });
  });
  test("npm 11.16+ ran them and warned", () => {
    expect(scriptPolicyReport(NPM11)?.skipped).toBe(false);
    expect(scriptPolicyReport(NPM11)?.packages.map((p) => p.name)).toEqual(["es5-ext"]);
  });
  test("scoped names, several events, colours, and only lines inside the list", () => {
    const out = [
      "\x1b[33mnpm warn install-scripts\x1b[0m 2 packages had install scripts blocked because they are not covered by allowScripts:",
      "npm warn install-scripts   @img/sharp@0.34.5 (install: node install/check.js; postinstall: node x.js; node y.js)",
      "npm warn install-scripts   bcrypt@6.0.0 (install: node-gyp-build)",
      "npm warn install-scripts",
      "npm warn install-scripts   not-a-package@1.0.0 (install: x)",
    ].join("\n");
    expect(scriptPolicyReport(out)?.packages).toEqual([
      {
        name: "@img/sharp",
        version: "0.34.5",
        events: ["install", "postinstall"],
        commands: { install: "node install/check.js", postinstall: "node x.js; node y.js" },
      },
      { name: "bcrypt", version: "6.0.0", events: ["install"], commands: { install: "node-gyp-build" } },
    ]);
  });
  test("no list, no report", () => {
    expect(scriptPolicyReport("added 9 packages in 1s\nnpm warn deprecated x@1.0.0: old")).toBeUndefined();
  });
});

describe("scriptPolicyWarning", () => {
  test("names every package and the fix", () => {
    const w = scriptPolicyWarning(scriptPolicyReport(NPM12)!, "package.json");
    expect(w.line).toBe(
      'npm skipped the install scripts of 1 dependency that package.json "allowScripts" does not approve: es5-ext@0.10.64 (postinstall)',
    );
    expect(w.hint).toMatch(
      /^If the app needs them, run "npm approve-scripts es5-ext" \(npm 11\.16 or later\) and commit package\.json/,
    );
  });
  test("npm 11 says what npm 12 will do", () => {
    expect(scriptPolicyWarning(scriptPolicyReport(NPM11)!, "package.json").line).toMatch(
      /^npm 12 will skip the install scripts of 1 dependency that package\.json "allowScripts" does not approve: es5-ext@0\.10\.64/,
    );
  });
});

describe("narrowNpmRange", () => {
  test.each([
    [">=10", "admits 12: capped below it", ">=10.0.0 <12.0.0-0"],
    ["*", "any npm", "<12.0.0-0"],
    ["10.x || >=12", "alternatives keep the ones below 12", ">=10.0.0 <11.0.0-0 <12.0.0-0"],
    [">=11 <13", "a range across 12", ">=11.0.0 <13.0.0-0 <12.0.0-0"],
    [">=12", "npm 12 only: as asked", undefined],
    ["11.x", "ends below 12: as asked", undefined],
    ["11.5.0", "an exact version: as asked", undefined],
  ])("%s (%s)", (range, _why, narrowed) => {
    expect(narrowNpmRange(range, {})).toBe(narrowed);
  });
  test("an app with allowScripts was made for the policy: its range stays", () => {
    expect(narrowNpmRange(">=10", { allowScripts: { sharp: true } })).toBeUndefined();
  });
});
