import { expect, test } from "vitest";
import { buildPackage, goHead } from "./go-head.js";

const BODY = '\n\nfunc main() { fmt.Println("import \\"os\\"") }\n';

test.each([
  ["package main", 'package main\n\nimport "fmt"'],
  ["package main", 'package main\n\nimport (\n\t"fmt"\n\n\tf "flag"\n\t. "strings"\n\t_ "embed"\n)'],
  ["package main", 'package main\n\nimport "fmt"\nimport `os`; import x "net/http"'],
  [
    "a build constraint and a license",
    '//go:build linux\n\n/* MIT */\n// Package x.\npackage x // import "example.com/x"\n\nimport "os"',
  ],
  ["a cgo preamble", 'package native\n\n// int answer(void) { return 42; }\nimport "C"'],
  ["comments among the imports", 'package main\n\nimport (\n\t"fmt" // printing\n\t/* ) */ "os"\n)'],
  ["no imports", "package main"],
])("%s: the head stops after the imports", (_, head) => {
  expect(goHead(head + BODY).text).toBe(head);
});

test("an edit below the imports leaves the head as it was; one of an import changes it", () => {
  const file = (greeting: string, imports: string) =>
    `package main\n\nimport (\n${imports}\n)\n\nfunc main() { fmt.Println("${greeting}") }\n`;
  const head = goHead(file("hello", '\t"fmt"')).text;
  expect(goHead(file("hello again", '\t"fmt"')).text).toBe(head);
  expect(goHead(file("hello", '\t"fmt"\n\t"os"')).text).not.toBe(head);
});

test.each([
  ["no package clause", "// just a comment\n"],
  ["an import block that never closes", 'package main\n\nimport (\n\t"fmt"\n'],
  ["an import path that never ends", 'package main\n\nimport "fmt\n\nfunc main() {}\n'],
  ["an import with no path", "package main\n\nimport fmt\n\nfunc main() {}\n"],
])("%s: the whole text (a longer head only costs a go list)", (_, text) => {
  expect(goHead(text).text).toBe(text);
});

test("the head declares its constraints, package and imports", () => {
  const text = `//go:build linux && amd64\n// +build linux,amd64\n\n// Package x.\npackage x\n\nimport (\n\t"fmt"\n\tr \`math/rand\`\n)\nimport "C"${BODY}`;
  expect(goHead(text)).toEqual({
    package: "x",
    constraints: ["linux && amd64", "linux,amd64"],
    imports: ["fmt", "math/rand", "C"],
    text: text.slice(0, text.length - BODY.length),
  });
});

test.each([
  ["package main\n", "main"],
  ["// Copyright 2026 Acme.\n// SPDX-License-Identifier: MIT\n\n// Command api serves.\npackage main\n", "main"],
  ['/*\n Licensed under MIT.\n*/\n\npackage server // import "x"\n', "server"],
  ["/* one line */ package main\n", "main"],
  ["//go:build linux\n\npackage main\n", "main"],
  ["//go:build ignore\n\npackage main\n", undefined],
  ["// +build ignore\n\npackage main\n", undefined],
  ["// nothing but comments\n", undefined],
  ['package main\n\nimport "fmt"\n\n//go:build ignore\n', "main"],
])("the package a build compiles %j into: %s", (text, name) => {
  expect(buildPackage(goHead(text))).toBe(name);
});
