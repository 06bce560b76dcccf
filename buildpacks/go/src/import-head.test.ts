import { expect, test } from "vitest";
import { importHead } from "./import-head.js";

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
  expect(importHead(head + BODY)).toBe(head);
});

test("an edit below the imports leaves the head as it was; one of an import changes it", () => {
  const file = (greeting: string, imports: string) =>
    `package main\n\nimport (\n${imports}\n)\n\nfunc main() { fmt.Println("${greeting}") }\n`;
  const head = importHead(file("hello", '\t"fmt"'));
  expect(importHead(file("hello again", '\t"fmt"'))).toBe(head);
  expect(importHead(file("hello", '\t"fmt"\n\t"os"'))).not.toBe(head);
});

test.each([
  ["no package clause", "// just a comment\n"],
  ["an import block that never closes", 'package main\n\nimport (\n\t"fmt"\n'],
  ["an import path that never ends", 'package main\n\nimport "fmt\n\nfunc main() {}\n'],
  ["an import with no path", "package main\n\nimport fmt\n\nfunc main() {}\n"],
])("%s: the whole text (a longer head only costs a go list)", (_, text) => {
  expect(importHead(text)).toBe(text);
});
