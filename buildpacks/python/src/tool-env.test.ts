import { expect, test } from "vitest";
import { bytecodeEnv, caEnv } from "./tool-env.js";

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

test("bytecode env: hash-checked .pyc unless the build sets its own SOURCE_DATE_EPOCH", () => {
  expect(bytecodeEnv({})).toEqual({ SOURCE_DATE_EPOCH: "315532801" });
  expect(bytecodeEnv({ SOURCE_DATE_EPOCH: " " })).toEqual({ SOURCE_DATE_EPOCH: "315532801" });
  expect(bytecodeEnv({ SOURCE_DATE_EPOCH: "1700000000" })).toEqual({});
});
