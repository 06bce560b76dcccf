import { expect, test } from "vitest";
import { parseGoMod, parseGoWork } from "./go-mod.js";

test("go.mod: module, go and toolchain lines, requirements in and out of blocks", () => {
  const text = [
    "// The API.",
    'module "github.com/acme/api" // quoted',
    "",
    "go 1.26.2",
    "",
    "toolchain go1.27.1",
    "",
    "require github.com/go-chi/chi/v5 v5.2.3",
    "",
    "require (",
    "\tgithub.com/mattn/go-sqlite3 v1.14.24 // indirect",
    "\tgolang.org/x/net v0.30.0",
    ")",
    "",
    "replace golang.org/x/net => ../net",
  ].join("\n");
  expect(parseGoMod(text)).toEqual({
    module: "github.com/acme/api",
    go: "1.26.2",
    toolchain: "1.27.1",
    requires: [
      { path: "github.com/go-chi/chi/v5", version: "v5.2.3" },
      { path: "github.com/mattn/go-sqlite3", version: "v1.14.24" },
      { path: "golang.org/x/net", version: "v0.30.0" },
    ],
  });
});

test("go.mod: toolchain default is no preference", () => {
  expect(parseGoMod("module x\ngo 1.26\ntoolchain default\n")).toEqual({ module: "x", go: "1.26", requires: [] });
});

test.each([
  ["go 1.26\n", "go.mod: no module line"],
  ["module x\ngo one.two\n", 'go.mod: the go line "one.two" is not a Go version such as 1.26 or 1.26.3'],
  ["module x\ntoolchain gox\n", 'go.mod: the toolchain line "gox" is not a Go version such as 1.26 or 1.26.3'],
])("%j fails in one line", (text, message) => {
  expect(() => parseGoMod(text)).toThrow(message);
});

test("go.work: use dirs in and out of blocks, ./ and trailing slashes dropped, ../ kept", () => {
  expect(parseGoWork("go 1.26\n\nuse (\n\t./api/\n\t./lib\n\t../shared\n)\nuse .\n")).toEqual({
    go: "1.26",
    use: ["api", "lib", "../shared", "."],
  });
});
