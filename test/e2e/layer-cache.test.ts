/**
 * Cache layers by reference (issue 76 item 1), end to end: a Go app built with the reference
 * builder keeps its go-mod and go-build layers in the platform's layer store (an overlay at
 * /cnbkit/layer-cache, committed after a build that succeeds), not in the lifecycle's cache.
 * A rebuild after a one-line edit restores and saves neither through the lifecycle, reuses
 * go-build and serves the edited text; a build that fails (a syntax error) leaves the store as
 * it was, so the fixed build after it still reuses go-build. Four builds of a chi app (one
 * small module, so the cold build is mostly the standard library's compile); as root, as CI.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { expect, test } from "vitest";
import { CHI_GO_SUM, chiGoMod } from "../../buildpacks/go/src/testing/apps.js";
import { getFromImage, referenceApps } from "./support.js";

const { appCase, build } = referenceApps();

const main = (greeting: string) => `package main

import (
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"
)

func main() {
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("${greeting}\\n")) })
	http.ListenAndServe(os.Getenv("HOST")+":"+os.Getenv("PORT"), r)
}
`;

/** The lifecycle's lines that restore or save one of the Go caches through its own cache. */
const LIFECYCLE_GO_CACHE =
  /Restoring (?:data|metadata) for "cnbkit\/go:go-(?:mod|build)"|cache layer 'cnbkit\/go:go-(?:mod|build)'/;

/** The cache layers the lifecycle's volume cache holds for cnbkit/go (its committed metadata). */
async function lifecycleCachedGoLayers(cacheDir: string): Promise<string[]> {
  const file = join(cacheDir, "committed", "io.buildpacks.lifecycle.cache.metadata");
  const meta = JSON.parse(await readFile(file, "utf8")) as {
    buildpacks?: { key: string; layers?: Record<string, unknown> }[];
  };
  return Object.keys(meta.buildpacks?.find((b) => b.key === "cnbkit/go")?.layers ?? {});
}

/**
 * The layer store's dirs that hold `cnbkit_go/<layer>.toml`: the store goes with the build
 * cache (a sibling of it, named after it; where exactly is the platform's choice), searched a
 * few levels down from each sibling whose name starts with the cache's.
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

test("an edit rebuild reuses go-mod and go-build by reference, and a failed build leaves the store as it was", async () => {
  const c = await appCase("layer-cache-go", {
    "go.mod": chiGoMod("example.com/edit"),
    "go.sum": CHI_GO_SUM,
    "main.go": main("hello, first"),
  });
  const cacheDir = join(c.work, "cache");
  const ms: number[] = [];
  const timed = async () => {
    const r = await build(c);
    ms.push(r.ms);
    return r.text;
  };
  const cold = await timed();
  expect(cold).toContain("Installing Go");
  expect(cold).not.toMatch(LIFECYCLE_GO_CACHE);

  // A one-line edit: the binary is rebuilt from the caches the store kept.
  await writeFile(join(c.app, "main.go"), main("hello, edited"));
  const edited = await timed();
  expect(edited).toMatch(/Reusing go-build \(key unchanged\)/);
  expect(edited).toMatch(/Reusing go-mod \(key unchanged\)/);
  expect(edited).not.toMatch(LIFECYCLE_GO_CACHE);
  expect(await getFromImage(c.image)).toBe("200 hello, edited\n");

  // Neither cache is in the lifecycle's volume cache; both are in the layer store.
  const inLifecycleCache = await lifecycleCachedGoLayers(cacheDir);
  expect(inLifecycleCache).not.toContain("go-build");
  expect(inLifecycleCache).not.toContain("go-mod");
  expect(await storedGoLayerTomls(cacheDir, "go-build")).toHaveLength(1);
  expect(await storedGoLayerTomls(cacheDir, "go-mod")).toHaveLength(1);

  // A syntax error fails the build after go-build was opened for writing; the store keeps
  // the last good build's caches, so the fixed build reuses them.
  await writeFile(join(c.app, "main.go"), main("hello, broken").replace("func main() {", "func main() {{"));
  const failed = await build(c).then(
    () => undefined,
    (e: Error & { lines?: string[] }) => e,
  );
  expect(failed, "the build with a syntax error should fail").toBeInstanceOf(Error);
  expect(failed?.lines?.join("\n")).toMatch(/Reusing go-build \(key unchanged\)/);

  await writeFile(join(c.app, "main.go"), main("hello, fixed"));
  const fixed = await timed();
  expect(fixed).toMatch(/Reusing go-build \(key unchanged\)/);
  expect(fixed).not.toMatch(LIFECYCLE_GO_CACHE);
  expect(await getFromImage(c.image)).toBe("200 hello, fixed\n");
  console.log(`layer cache: cold, edit and fixed builds took ${ms.join(", ")} ms`);
}, 900_000);
