import { expect, test } from "vitest";
import { envProxyFetch, proxySettings } from "./proxy-fetch.js";

test("proxySettings: lower case first, blank is unset, no proxy at all is undefined", () => {
  expect(proxySettings({})).toBeUndefined();
  expect(proxySettings({ NO_PROXY: "x", HTTP_PROXY: " " })).toBeUndefined();
  expect(proxySettings({ https_proxy: "http://a:1", HTTPS_PROXY: "http://b:2", no_proxy: "", NO_PROXY: "c" })).toEqual({
    httpsProxy: "http://a:1",
    noProxy: "c",
  });
  // A scheme-less proxy is http://, as curl reads it.
  expect(proxySettings({ HTTP_PROXY: "proxy.corp:3128" })).toEqual({ httpProxy: "proxy.corp:3128" });
});

test("a proxy that is not a URL is one line naming the variable", () => {
  expect(() => proxySettings({ HTTPS_PROXY: "http://[::1" })).toThrow('HTTPS_PROXY="http://[::1" is not a proxy URL');
});

test("without proxy settings the global fetch is used as is", () => {
  expect(envProxyFetch({ PATH: "/bin" })).toBe(fetch);
});
