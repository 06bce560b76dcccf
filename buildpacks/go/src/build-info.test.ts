import { expect, test } from "vitest";
import { buildInfoComponents, goModulePurl, parseBuildInfo } from "./build-info.js";

const OUTPUT = [
  "/layers/cnbkit_go/app/bin/api: go1.27.4",
  "\tpath\tgithub.com/acme/api/cmd/api",
  "\tmod\tgithub.com/acme/api\t(devel)\t",
  "\tdep\tgithub.com/gin-gonic/gin\tv1.10.1\th1:abc=",
  "\tdep\tgolang.org/x/net\tv0.30.0\th1:def=",
  "\t=>\tgolang.org/x/net\tv0.31.0\th1:ghi=",
  "\tdep\texample.com/local\tv0.0.0",
  "\t=>\t../local\t\t",
  "\tbuild\t-trimpath=true",
  "\tbuild\tCGO_ENABLED=0",
].join("\n");

test("build info: the Go version, the main module, deps after replacement", () => {
  expect(parseBuildInfo(OUTPUT)).toEqual({
    go: "1.27.4",
    main: "github.com/acme/api",
    deps: [
      { path: "github.com/gin-gonic/gin", version: "v1.10.1" },
      { path: "golang.org/x/net", version: "v0.31.0" },
      { path: "../local", version: "" },
    ],
  });
});

test("components: stdlib, the app, each linked module once; a local replacement is the app's own", () => {
  const info = parseBuildInfo(OUTPUT);
  const purls = buildInfoComponents([info, info]).map((c) => c.purl);
  expect(purls).toEqual([
    "pkg:golang/stdlib@1.27.4",
    "pkg:golang/github.com/acme/api",
    "pkg:golang/github.com/gin-gonic/gin@v1.10.1",
    "pkg:golang/golang.org/x/net@v0.31.0",
  ]);
});

test("not a Go binary", () => {
  expect(() => parseBuildInfo("/bin/sh: could not read Go build info")).toThrow("no Go version");
});

test("purls encode each path segment", () => {
  expect(goModulePurl("github.com/a b/c", "v1.0.0+incompatible")).toBe(
    "pkg:golang/github.com/a%20b/c@v1.0.0%2Bincompatible",
  );
});
