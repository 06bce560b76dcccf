import { expect, test } from "vitest";
import { explainGo, goErrorLine } from "./go-errors.js";

test.each([
  ["./main.go:12:2: undefined: x", "./main.go:12:2: undefined: x"],
  ["go: downloading github.com/x/y v1.0.0", undefined],
  ["# example.com/app", undefined],
  [
    "go: example.com/x@v1.0.0: missing go.sum entry for go.mod file",
    "go: example.com/x@v1.0.0: missing go.sum entry for go.mod file",
  ],
])("%j", (line, cause) => expect(goErrorLine(line)).toBe(cause));

test("the first cause, not the header, with the hint that fits", () => {
  const err = explainGo({
    command: ["/layers/go/bin/go", "build", "-o", "x"],
    status: "exit 1",
    output:
      "go: downloading github.com/a/b v1.0.0\nmain.go:4:2: missing go.sum entry for module providing package github.com/a/b\n",
  });
  expect(err.message).toBe(
    "go build failed (exit 1): main.go:4:2: missing go.sum entry for module providing package github.com/a/b",
  );
  expect(err.hint).toBe("Run `go mod tidy` and commit go.mod and go.sum");
});
