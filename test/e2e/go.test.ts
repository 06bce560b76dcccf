/**
 * A Go app through the reference builder (its local variant: cnbkit/go carries the Go module
 * proxy's toolchain zip, tools/local-builder/local-go.ts), built with the real lifecycle and
 * served from the image under runc. One chi app, as users write one (a router, a module from
 * the proxy, PORT from the env, a template read at run time), composed as the reference
 * builder composes it: a Procfile that names `bin/<name>` as Heroku's Go apps do, a BPE_*
 * variable, the CA binding. Then a rebuild with the same cache: the binary comes back from the
 * previous image and no go command runs. Two builds, for CI's budget.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { unpackImage } from "../../builder-packager/src/container/unpack.js";
import { type Binding, buildApp } from "../../builder-packager/src/platform/index.js";
import { CHI_GO_SUM, chiGoMod } from "../../buildpacks/go/src/testing/apps.js";
import { getFromImage, referenceApps } from "./support.js";

const { appCase, build } = referenceApps();

const APP: Record<string, string> = {
  "go.mod": chiGoMod("github.com/acme/greeter"),
  "go.sum": CHI_GO_SUM,
  "main.go": `package main

import (
	"html/template"
	"log"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"
)

func main() {
	page := template.Must(template.ParseFiles("templates/index.html"))
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		page.Execute(w, map[string]string{"Greeting": os.Getenv("GREETING"), "User": os.Getenv("USER_ID")})
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Printf("listening on %s as uid %d", port, os.Getuid())
	log.Fatal(http.ListenAndServe(os.Getenv("HOST")+":"+port, r))
}
`,
  "templates/index.html": "{{.Greeting}} from a Go binary\n",
  Procfile: "web: bin/greeter\n",
};

test("a chi app builds static on the reference builder, serves as the CNB user, and a rebuild runs no go command", async () => {
  const c = await appCase("go-chi", APP);
  const image = c.image;
  const env = { BPE_GREETING: "hello" };
  const first = (await build(c, env)).text;
  expect(first).toContain("cnbkit Go");
  expect(first).toMatch(/Selected Go 1\.27\.\d+/);
  expect(first).toContain("go.mod's go line 1.26 is a minimum and the inventory has no 1.26 release");
  expect(first).toContain("no package outside the standard library uses cgo: static binaries");
  const output: string[] = [];
  expect(await getFromImage(image, {}, { output })).toBe("200 hello from a Go binary\n");
  expect(output.join("\n")).toMatch(/listening on \d+ as uid 1000/);

  // The image holds the binary and the template, not the toolchain, the caches or the sources.
  const unpacked = await unpackImage(image);
  try {
    const { rootfs } = unpacked;
    expect(existsSync(join(rootfs, "layers/cnbkit_go/app/bin/greeter"))).toBe(true);
    expect(existsSync(join(rootfs, "layers/cnbkit_go/go"))).toBe(false);
    expect(existsSync(join(rootfs, "layers/cnbkit_go/go-build"))).toBe(false);
    expect(existsSync(join(rootfs, "workspace/main.go"))).toBe(false);
    expect(existsSync(join(rootfs, "workspace/templates/index.html"))).toBe(true);
  } finally {
    await unpacked.release();
  }

  const second = (await build(c, env)).text;
  expect(second).toContain("Reusing app (key unchanged)");
  expect(second).not.toContain("Installing Go");
  expect(await getFromImage(image)).toBe("200 hello from a Go binary\n");
}, 900_000);
