import { expect, test } from "vitest";
import { distComponent, parseDistMetadata } from "./dist-info.js";

test.each([
  [
    "Metadata-Version: 2.4\nName: Flask\nVersion: 3.1.0\nLicense-Expression: BSD-3-Clause\n\nbody",
    { name: "Flask", version: "3.1.0", license: "BSD-3-Clause" },
  ],
  ["Name: h11\nVersion: 0.16.0\nLicense: MIT\n", { name: "h11", version: "0.16.0", license: "MIT" }],
  [
    "Name: click\nVersion: 8.1.8\nLicense: Copyright 2014 Pallets\n        long text follows\nClassifier: License :: OSI Approved :: BSD License\n",
    { name: "click", version: "8.1.8", license: "Copyright 2014 Pallets" },
  ],
  [
    "Name: idna\nVersion: 3.10\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: BSD License\n",
    { name: "idna", version: "3.10", license: "BSD License" },
  ],
  ["Name: bare\nVersion: 1.0\n", { name: "bare", version: "1.0" }],
  ["Version: 1.0\n", undefined],
])("METADATA %#", (text, expected) => {
  expect(parseDistMetadata(text)).toEqual(expected);
});

test("the purl uses the normalized name", () => {
  expect(distComponent({ name: "Typing_Extensions", version: "4.12.2" }).purl).toBe(
    "pkg:pypi/typing-extensions@4.12.2",
  );
});
