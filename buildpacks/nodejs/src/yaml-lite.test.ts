import { describe, expect, test } from "vitest";
import { parseYamlLite } from "./yaml-lite.js";

describe("parseYamlLite", () => {
  test("nested maps, quoted keys, flow maps and lists, comments", () => {
    const doc = parseYamlLite(
      [
        "# comment",
        "lockfileVersion: '9.0'",
        "packages:",
        "  '@s/a@1.0.0':",
        "    resolution: {integrity: sha512-abc==, tarball: 'https://x/y.tgz'}",
        "    cpu: [x64, arm64]",
        "    os:",
        "    - linux",
        '  "b@npm:^1, b@npm:^1.2":',
        "    version: 1.2.0 # trailing",
        "empty:",
      ].join("\n"),
      "f.yaml",
    );
    expect(doc).toEqual({
      lockfileVersion: "9.0",
      packages: {
        "@s/a@1.0.0": {
          resolution: { integrity: "sha512-abc==", tarball: "https://x/y.tgz" },
          cpu: ["x64", "arm64"],
          os: ["linux"],
        },
        "b@npm:^1, b@npm:^1.2": { version: "1.2.0" },
      },
      empty: "",
    });
  });
  test("errors name the file and line", () => {
    expect(() => parseYamlLite("a: 1\n   b: 2\n", "x.yaml")).toThrow(/^x.yaml:2: unexpected indentation/);
    expect(() => parseYamlLite("just text\n", "x.yaml")).toThrow(/^x.yaml:1: expected "key: value"/);
  });
});
