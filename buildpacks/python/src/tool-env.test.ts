import { expect, test } from "vitest";
import { caEnv } from "./tool-env.js";

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
