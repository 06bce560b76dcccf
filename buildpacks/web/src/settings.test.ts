import { expect, test } from "vitest";
import { webSettings } from "./settings.js";

test.each([
  [{}, { root: undefined, pushState: undefined, forceHttps: false, nginxVersion: undefined }],
  [
    {
      BP_WEB_SERVER_ROOT: "dist",
      BP_WEB_SERVER_ENABLE_PUSH_STATE: "TRUE",
      BP_WEB_SERVER_FORCE_HTTPS: "1",
      BP_NGINX_VERSION: "1.26.*",
    },
    { root: "dist", pushState: true, forceHttps: true, nginxVersion: "1.26.*" },
  ],
  [
    { BP_WEB_SERVER_ENABLE_PUSH_STATE: "false", BP_WEB_SERVER_ROOT: " " },
    { root: undefined, pushState: false, forceHttps: false, nginxVersion: undefined },
  ],
])("webSettings(%j)", (env, out) => {
  expect(webSettings(env)).toEqual(out);
});

test("bad values are one line with the fix", () => {
  expect(() => webSettings({ BP_WEB_SERVER_FORCE_HTTPS: "sure" })).toThrow(
    /^BP_WEB_SERVER_FORCE_HTTPS="sure" is not a boolean$/,
  );
  expect(() => webSettings({ BP_WEB_SERVER_ROOT: "../etc" })).toThrow(
    /^BP_WEB_SERVER_ROOT="..\/etc" leaves the app directory$/,
  );
});
