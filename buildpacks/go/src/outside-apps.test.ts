/**
 * Outside apps (issue 70, item 3): fixtures shaped like the public apps whose builds failed on
 * cnbkit's side in the round, each checked for what the fix changed. These fail before any
 * compile, so they need no warm GOCACHE; each installs the toolchain from the cached zip.
 */
import { runBuild } from "@cnbkit/framework/testing";
import { beforeAll, describe, expect, test } from "vitest";
import bp from "./index.js";
import { CHI_GO_SUM } from "./testing/apps.js";
import { TEST_ENV, testBuildpackToml } from "./testing/inventory.js";

let toml: string;
beforeAll(async () => {
  toml = await testBuildpackToml();
}, 600_000);

const build = (app: Record<string, string>, platformEnv: Record<string, string> = {}) =>
  runBuild(bp, { app, buildpackToml: toml, env: TEST_ENV, platformEnv }).then(
    () => {
      throw new Error("the build passed");
    },
    (e: Error & { hint?: string }) => e,
  );

describe("a go.sum that lacks entries", () => {
  // railwayapp-templates/gin with its go.sum left out of the commit: `module main`, gin and
  // slog-gin. go says "...; to add:" and its command on the next line; the line stops at the
  // cause and the hint says what to run.
  test("one line naming the package, and `go mod tidy`", async () => {
    const err = await build({
      "go.mod":
        "module main\n\ngo 1.23.0\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.10.0\n\tgithub.com/samber/slog-gin v1.13.3\n)\n",
      "main.go": `package main

import (
	"cmp"
	"log/slog"
	"os"

	"github.com/gin-gonic/gin"
	sloggin "github.com/samber/slog-gin"
)

func main() {
	r := gin.New()
	r.Use(sloggin.New(slog.Default()))
	r.GET("/", func(c *gin.Context) { c.JSON(200, gin.H{"message": "Hello world!"}) })
	r.Run(":" + cmp.Or(os.Getenv("PORT"), "8080"))
}
`,
    });
    expect(err.message).toBe(
      "go list failed (exit 1): main.go:8:2: missing go.sum entry for module providing package github.com/gin-gonic/gin (imported by main)",
    );
    expect(err.hint).toBe("Run `go mod tidy` and commit go.mod and go.sum");
  }, 120_000);
});

describe("a module version the proxy does not serve", () => {
  // peterdmarshall/go-docker-example: a chi app that requires cockroachdb/pebble at a
  // pseudo-version the proxy answered 403 for. A public module, so the hint names both causes
  // (not only "a private module"). The fixture's module exists on no proxy, so every proxy
  // answers 403, 404 or 410; GOPROXY without ",direct" keeps go from asking GitHub.
  test("one line with the proxy's answer, and a hint for private and public modules", async () => {
    const err = await build(
      {
        "go.mod":
          "module github.com/example/go-docker-example\n\ngo 1.19\n\nrequire (\n\tgithub.com/go-chi/chi/v5 v5.2.3\n\tgithub.com/cnbkit-test/pebble v0.0.0-20221019141051-0090519bf0bb\n)\n",
        "go.sum": [
          CHI_GO_SUM.trimEnd(),
          "github.com/cnbkit-test/pebble v0.0.0-20221019141051-0090519bf0bb h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
          "github.com/cnbkit-test/pebble v0.0.0-20221019141051-0090519bf0bb/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
          "",
        ].join("\n"),
        "main.go": `package main

import (
	"net/http"
	"os"

	"github.com/cnbkit-test/pebble"
	"github.com/go-chi/chi/v5"
)

func main() {
	db, _ := pebble.Open("demo")
	defer db.Close()
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("Hello, world!")) })
	http.ListenAndServe(":"+os.Getenv("PORT"), r)
}
`,
      },
      { GOPROXY: "https://proxy.golang.org" },
    );
    expect(err.message).toMatch(
      /^go list failed \(exit 1\): .*github\.com\/cnbkit-test\/pebble@v0\.0\.0-20221019141051-0090519bf0bb.*(40[34] |410 Gone)/,
    );
    expect(err.hint).toMatch(/^The module proxy does not serve that version: if the module is private, set GOPRIVATE/);
    expect(err.hint).toContain("if it is public, require a version the proxy has");
  }, 120_000);
});

describe("a //go:embed of a generated file that is not committed", () => {
  // xmlking/go-workspace: a go.work of the root module, cmd/app1 and lib; internal/version
  // embeds version.txt and branch.txt, which `go generate` writes from git and .gitignore keeps
  // out of the repository. go's line names the pattern; the hint says where such a file went.
  test("one line naming the pattern, and a hint to commit the file", async () => {
    const err = await build({
      "go.work": "go 1.18\n\nuse (\n\t.\n\t./cmd/app1\n\t./lib\n)\n",
      "go.mod": "module github.com/example/go-workspace\n\ngo 1.18\n",
      "main.go":
        'package main\n\nimport (\n\t"fmt"\n\n\t"github.com/example/go-workspace/internal/version"\n)\n\nfunc main() { fmt.Println(version.Tag) }\n',
      "internal/version/version.go":
        'package version\n\nimport _ "embed"\n\n//go:generate sh -c "git describe --tags --always > version.txt"\n\n// Tag is the git tag this was built from.\n//\n//go:embed version.txt\nvar Tag string\n',
      "cmd/app1/go.mod": "module github.com/example/go-workspace/cmd/app1\n\ngo 1.18\n",
      "cmd/app1/main.go":
        'package main\n\nimport (\n\t"fmt"\n\n\t"github.com/example/go-workspace/lib/filter"\n)\n\nfunc main() { fmt.Println(filter.Small([]int{1, 5})) }\n',
      "lib/go.mod": "module github.com/example/go-workspace/lib\n\ngo 1.18\n",
      "lib/filter/filter.go":
        "package filter\n\n// Small keeps the values under 4.\nfunc Small(v []int) []int {\n\tvar out []int\n\tfor _, x := range v {\n\t\tif x < 4 {\n\t\t\tout = append(out, x)\n\t\t}\n\t}\n\treturn out\n}\n",
    });
    expect(err.message).toBe(
      "go list failed (exit 1): internal/version/version.go:9:12: pattern version.txt: no matching files found",
    );
    expect(err.hint).toMatch(/^A file a \/\/go:embed line names is not in the app: commit it/);
  }, 120_000);
});
