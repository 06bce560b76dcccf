/**
 * A Go app through the reference builder (its local variant: cnbkit/go carries the Go module
 * proxy's toolchain zip, tools/local-builder/local-go.ts), built with the real lifecycle and
 * served from the image under runc. One chi app, as users write one (a router, a module from
 * the proxy, PORT from the env, a template read at run time), composed as the reference
 * builder composes it: a Procfile that names `bin/<name>` as Heroku's Go apps do, a BPE_*
 * variable, the CA binding. Then a rebuild with the same cache: the binary comes back from the
 * previous image and no go command runs.
 *
 * Then cache layers by reference (issue 76 item 1) on the same app and cache: go-mod and
 * go-build live in the platform's layer store (an overlay at /cnbkit/layer-cache, committed
 * after a build that succeeds), not in the lifecycle's cache. A rebuild after a one-line edit
 * restores and saves neither through the lifecycle, reuses go-build and serves the edit; a
 * build that fails (a syntax error) leaves the store as it was, so the fixed build after it
 * still reuses go-build. One cold build for both tests, for CI's budget.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { expect, test } from "vitest";
import { unpackImage } from "../../builder-packager/src/container/unpack.js";
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

const env = { BPE_GREETING: "hello" };
/** The app case both tests build, in order: the second edits what the first built. */
let c: Awaited<ReturnType<typeof appCase>>;

test("a chi app builds static on the reference builder, serves as the CNB user, and a rebuild runs no go command", async () => {
  c = await appCase("go-chi", APP);
  const image = c.image;
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

/** The lifecycle's lines that restore or save one of the Go caches through its own cache. */
const LIFECYCLE_GO_CACHE =
  /Restoring (?:data|metadata) for "cnbkit\/go:go-(?:mod|build)"|cache layer 'cnbkit\/go:go-(?:mod|build)'/;

test("an edit rebuild reuses go-mod and go-build by reference, and a failed build leaves the store as it was", async () => {
  expect(c, "the first test builds the app this one edits").toBeDefined();
  const source = APP["main.go"] as string;
  const edit = (from: string, to: string) => writeFile(join(c.app, "main.go"), source.replace(from, to));

  // A one-line edit: the binary is rebuilt from the caches the store kept.
  await edit("page.Execute(w,", 'w.Write([]byte("edited: "))\n\t\tpage.Execute(w,');
  const edited = (await build(c, env)).text;
  expect(edited).toMatch(/Reusing go-build \(key unchanged\)/);
  expect(edited).toMatch(/Reusing go-mod \(key unchanged\)/);
  expect(edited).not.toMatch(LIFECYCLE_GO_CACHE);
  // The toolchain too is kept by reference (go-toolchain), so a compiling rebuild installs none.
  expect(edited).not.toContain("Installing Go");
  expect(edited).toContain("Reusing go-toolchain (key unchanged; kept without installing)");
  expect(await getFromImage(c.image)).toBe("200 edited: hello from a Go binary\n");

  // Neither cache is in the lifecycle's volume cache; both are in the layer store.
  const cacheDir = join(c.work, "cache");
  const inLifecycleCache = await lifecycleCachedGoLayers(cacheDir);
  expect(inLifecycleCache).not.toContain("go-build");
  expect(inLifecycleCache).not.toContain("go-mod");
  expect(inLifecycleCache).not.toContain("go-toolchain");
  expect(await storedGoLayerTomls(cacheDir, "go-toolchain")).toHaveLength(1);
  expect(await storedGoLayerTomls(cacheDir, "go-build")).toHaveLength(1);
  expect(await storedGoLayerTomls(cacheDir, "go-mod")).toHaveLength(1);

  // A syntax error fails the build after go-build was opened for writing; the store keeps
  // the last good build's caches, so the fixed build reuses them.
  await edit("func main() {", "func main() {{");
  const failed = await build(c, env).then(
    () => undefined,
    (e: Error & { lines?: string[] }) => e,
  );
  expect(failed, "the build with a syntax error should fail").toBeInstanceOf(Error);
  expect(failed?.lines?.join("\n")).toMatch(/Reusing go-build \(key unchanged\)/);

  await edit("", "");
  const fixed = (await build(c, env)).text;
  expect(fixed).toMatch(/Reusing go-build \(key unchanged\)/);
  expect(fixed).not.toMatch(LIFECYCLE_GO_CACHE);
  expect(await getFromImage(c.image)).toBe("200 hello from a Go binary\n");
}, 900_000);

/** The cache layers the lifecycle's volume cache holds for cnbkit/go (its committed metadata). */
async function lifecycleCachedGoLayers(cacheDir: string): Promise<string[]> {
  const file = join(cacheDir, "committed", "io.buildpacks.lifecycle.cache.metadata");
  const meta = JSON.parse(await readFile(file, "utf8")) as {
    buildpacks?: { key: string; layers?: Record<string, unknown> }[];
  };
  return Object.keys(meta.buildpacks?.find((b) => b.key === "cnbkit/go")?.layers ?? {});
}

/**
 * The layer store's `cnbkit_go/<layer>.toml` files: the store goes with the build cache (a
 * sibling of it, named after it), searched a few levels down from each such sibling.
 */
async function storedGoLayerTomls(cacheDir: string, layer: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (existsSync(join(dir, "cnbkit_go", `${layer}.toml`))) found.push(join(dir, "cnbkit_go", `${layer}.toml`));
    if (depth === 0) return;
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => []))
      if (e.isDirectory()) await walk(join(dir, e.name), depth - 1);
  };
  const parent = dirname(cacheDir);
  for (const e of await readdir(parent, { withFileTypes: true }))
    if (e.isDirectory() && e.name.startsWith(basename(cacheDir)) && e.name !== basename(cacheDir))
      await walk(join(parent, e.name), 3);
  return found;
}
