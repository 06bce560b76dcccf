import { expect, test } from "vitest";
import { packageClause } from "./package-clause.js";

test.each([
  ["package main\n", "main"],
  ["// Copyright 2026 Acme.\n// SPDX-License-Identifier: MIT\n\n// Command api serves.\npackage main\n", "main"],
  ['/*\n Licensed under MIT.\n*/\n\npackage server // import "x"\n', "server"],
  ["/* one line */ package main\n", "main"],
  ["//go:build linux\n\npackage main\n", "main"],
  ["//go:build ignore\n\npackage main\n", undefined],
  ["// +build ignore\n\npackage main\n", undefined],
  ["// nothing but comments\n", undefined],
])("%j → %s", (head, name) => {
  expect(packageClause(head)).toBe(name);
});
