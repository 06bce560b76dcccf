import { expect, test } from "vitest";
import { parseExtensionToml } from "./extension-toml.js";

test("extension.toml: api and [extension] typed and checked", () => {
  expect(
    parseExtensionToml(
      'api = "0.10"\n[extension]\nid = "acme/apt"\nversion = "1.0.0"\nname = "Apt"\n',
      "extension.toml",
    ),
  ).toEqual({ api: "0.10", extension: { id: "acme/apt", version: "1.0.0", name: "Apt" } });
});

test("bad extension.toml is one line naming the file and field", () => {
  expect(() => parseExtensionToml('api = "0.10"\n', "e.toml")).toThrow(/^e\.toml: \[extension\] is required$/);
  expect(() => parseExtensionToml('api = "0.6"\n[extension]\nid = "a"\nversion = "1"\n', "e.toml")).toThrow(
    /^e\.toml: api "0\.6" is not supported/,
  );
  expect(() => parseExtensionToml('api = "0.10"\n[extension]\nid = "a b"\nversion = "1"\n', "e.toml")).toThrow(
    /\[extension\]\.id "a b" may only contain/,
  );
  expect(() => parseExtensionToml('api = "0.10"\n[extension]\nid = "a"\nversion = "1"\n[[order]]\n', "e.toml")).toThrow(
    /^e\.toml: order is not part of extension\.toml/,
  );
});
