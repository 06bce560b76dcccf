import { describe, expect, test } from "vitest";
import { binaryName, chooseTargets } from "./targets.js";

describe("chooseTargets", () => {
  test.each([
    [
      "the module root",
      { mains: ["."], modules: { ".": "github.com/acme/api" } },
      [{ pkg: ".", name: "api" }],
      "the module root is a main package",
    ],
    [
      "cmd/ binaries, a main package elsewhere ignored",
      { mains: ["cmd/web", "cmd/worker", "tools/gen"], modules: { ".": "example.com/shop" } },
      [
        { pkg: "./cmd/web", name: "web" },
        { pkg: "./cmd/worker", name: "worker" },
      ],
      "the main packages under cmd/",
    ],
    [
      "the only main package anywhere",
      { mains: ["server"], modules: { ".": "example.com/x" } },
      [{ pkg: "./server", name: "server" }],
      "the app's only main package",
    ],
    [
      "a workspace: each module's root and cmd/",
      {
        mains: ["api", "jobs/cmd/cron"],
        modules: { api: "example.com/ws/api", jobs: "example.com/ws/jobs", lib: "example.com/ws/lib" },
      },
      [
        { pkg: "./api", name: "api" },
        { pkg: "./jobs/cmd/cron", name: "cron" },
      ],
      "the workspace modules' root and cmd/ main packages",
    ],
    [
      "BP_GO_TARGETS, written with ./ and a trailing slash",
      { mains: [".", "cmd/migrate"], modules: { ".": "example.com/x/v2" }, setting: "./cmd/migrate/:." },
      [
        { pkg: "./cmd/migrate", name: "migrate" },
        { pkg: ".", name: "x" },
      ],
      'BP_GO_TARGETS "./cmd/migrate/:."',
    ],
    [
      "two binaries with one name get their dirs' paths",
      { mains: ["a/cmd/server", "b/cmd/server"], modules: { a: "example.com/a", b: "example.com/b" } },
      [
        { pkg: "./a/cmd/server", name: "a-cmd-server" },
        { pkg: "./b/cmd/server", name: "b-cmd-server" },
      ],
      "the workspace modules' root and cmd/ main packages",
    ],
  ])("%s", (_, inputs, targets, reason) => {
    expect(chooseTargets(inputs)).toEqual({ targets, reason });
  });

  test.each([
    [{ mains: [], modules: { ".": "x" } }, "no main package to build: no .go file in the app says `package main`"],
    [
      { mains: ["a", "b"], modules: { ".": "x" } },
      "several main packages and none at the root or under cmd/: ./a, ./b",
    ],
    [
      { mains: ["cmd/web"], modules: { ".": "x" }, setting: "./cmd/api" },
      "BP_GO_TARGETS: ./cmd/api is not a main package (main packages: ./cmd/web)",
    ],
  ])("%o fails in one line", (inputs, message) => {
    expect(() => chooseTargets(inputs)).toThrow(message);
  });

  test.each([
    [".", { ".": "github.com/acme/api/v3" }, "api"],
    [".", { ".": "hello" }, "hello"],
    ["cmd/web", { ".": "x" }, "web"],
  ])("binaryName(%s) of %o is %s", (dir, modules, name) => expect(binaryName(dir, modules)).toBe(name));
});
