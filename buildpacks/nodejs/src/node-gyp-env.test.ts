import { expect, test } from "vitest";
import { nodeGypEnv } from "./node-gyp-env.js";

test("npm 10 gets both forms (its node-gyp reads only npm_config_*)", () => {
  expect(nodeGypEnv({ tarball: "/h/node.tgz", devdir: "/h/gyp" }, "10.9.4")).toEqual({
    npm_package_config_node_gyp_tarball: "/h/node.tgz",
    npm_config_tarball: "/h/node.tgz",
    npm_package_config_node_gyp_devdir: "/h/gyp",
    npm_config_devdir: "/h/gyp",
  });
});

test("npm 11 gets only the form npm does not warn about", () => {
  expect(nodeGypEnv({ nodedir: "/layers/node" }, "11.6.2")).toEqual({
    npm_package_config_node_gyp_nodedir: "/layers/node",
  });
});

// docker/getting-started-app (yarn 1, sqlite3 5.1.2): yarn ran the app's node-gyp 8.4.1, which read
// no npm_package_config_node_gyp_* and went to nodejs.org for the headers.
test("yarn or pnpm (no npm version) gets both forms, for the app's own older node-gyp", () => {
  expect(nodeGypEnv({ nodedir: "/layers/node" }, undefined)).toEqual({
    npm_package_config_node_gyp_nodedir: "/layers/node",
    npm_config_nodedir: "/layers/node",
  });
});

// e0895780/TIC4004_Simple_Webapp (npm 11, sqlite3 5.1.7): its install script ran the app's own
// node-gyp 8.4.1, which read no npm_package_config_node_gyp_* and went to nodejs.org.
test("npm 11 with an older node-gyp in the lockfile gets both forms too", () => {
  expect(nodeGypEnv({ nodedir: "/layers/node" }, "11.6.2", ["8.4.1", "11.4.2"])).toEqual({
    npm_package_config_node_gyp_nodedir: "/layers/node",
    npm_config_nodedir: "/layers/node",
  });
  expect(nodeGypEnv({ nodedir: "/layers/node" }, "11.6.2", ["11.4.0"])).toEqual({
    npm_package_config_node_gyp_nodedir: "/layers/node",
  });
});

test("no headers, no variables", () => {
  expect(nodeGypEnv({}, undefined)).toEqual({});
});
