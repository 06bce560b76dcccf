import { describe, expect, test } from "vitest";
import { parseYamlFile } from "./yaml-file.js";

describe("parseYamlFile", () => {
  test("keeps every scalar a string, as lockfile readers need", () => {
    const doc = parseYamlFile(
      [
        "# comment",
        "lockfileVersion: '9.0'",
        "packages:",
        "  '@s/a@1.0.0':",
        "    resolution: {integrity: sha512-abc==, tarball: 'https://x/y.tgz'}",
        "    cpu: [x64, arm64]",
        "  b@npm:1.10:",
        "    version: 1.10",
        "    optional: true",
      ].join("\n"),
      "f.yaml",
    );
    expect(doc).toEqual({
      lockfileVersion: "9.0",
      packages: {
        "@s/a@1.0.0": { resolution: { integrity: "sha512-abc==", tarball: "https://x/y.tgz" }, cpu: ["x64", "arm64"] },
        "b@npm:1.10": { version: "1.10", optional: "true" },
      },
    });
  });

  test("errors name the file, line and column", () => {
    expect(() => parseYamlFile("a: [1, 2\n", "x.yaml")).toThrow(/^x\.yaml:\d+:\d+: invalid YAML: /);
    expect(() => parseYamlFile("- a\n- b\n", "x.yaml")).toThrow("x.yaml: expected a mapping at the top level");
    expect(parseYamlFile("", "x.yaml")).toEqual({});
  });
});
