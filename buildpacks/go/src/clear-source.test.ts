import { expect, test } from "vitest";
import { sourcesToRemove } from "./clear-source.js";

const FILES = [
  "main.go",
  "main_test.go",
  "go.mod",
  "go.sum",
  "internal/db/db.go",
  "vendor/modules.txt",
  "vendor/github.com/x/y/y.go",
  "templates/index.html",
  "static/app.css",
  "config.yaml",
  "assets/embed.go",
];

test("Go sources and module files go; templates, static files and config stay", () => {
  expect(sourcesToRemove(FILES, undefined)).toEqual([
    "assets/embed.go",
    "go.mod",
    "go.sum",
    "internal/db/db.go",
    "main.go",
    "main_test.go",
    "vendor/github.com/x/y/y.go",
    "vendor/modules.txt",
  ]);
});

test("BP_KEEP_FILES keeps what its globs match, a dir with all below it", () => {
  expect(sourcesToRemove(FILES, "assets/*:./vendor/:go.mod")).toEqual([
    "go.sum",
    "internal/db/db.go",
    "main.go",
    "main_test.go",
  ]);
});
