import { expect, test } from "vitest";
import { caEnv, withChanges } from "./tool-env.js";

test("changes apply in order and PATH grows at the front", () => {
  const env = withChanges({ PATH: "/usr/bin", A: "1" }, { set: { A: "2" }, path: ["/a"] }, { path: ["/b", "/c"] });
  expect(env).toEqual({ PATH: "/b:/c:/a:/usr/bin", A: "2" });
});

test.each([
  [{}, {}],
  [{ SSL_CERT_FILE: "/ca.pem" }, { UV_SYSTEM_CERTS: "true", PIP_CERT: "/ca.pem", REQUESTS_CA_BUNDLE: "/ca.pem" }],
  [
    { SSL_CERT_FILE: "/ca.pem", PIP_CERT: "/own.pem" },
    { UV_SYSTEM_CERTS: "true", REQUESTS_CA_BUNDLE: "/ca.pem" },
  ],
])("CA env for %o", (settings, expected) => {
  expect(caEnv(settings)).toEqual(expected);
});
