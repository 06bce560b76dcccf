import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, runBuild, runDetect } from "@cnbkit/framework/testing";
import { beforeAll, describe, expect, onTestFinished, test } from "vitest";
import bp from "./index.js";
import { CHI_GO_SUM, chiGoMod } from "./testing/apps.js";
import { TEST_ENV, testBuildpackToml } from "./testing/inventory.js";

// The real go command from the toolchain zips of the inventory (cached, file://); modules come
// from the Go module proxy, as in a real build.
let toml: string;
beforeAll(async () => {
  toml = await testBuildpackToml();
}, 600_000);

const opts = (app: Record<string, string>, platformEnv: Record<string, string> = {}) => ({
  app,
  buildpackToml: toml,
  env: TEST_ENV,
  platformEnv,
});
const text = (lines: string[]) => lines.join("\n");

/** A chi app as users write one: a router, PORT from the env. */
const CHI_APP: Record<string, string> = {
  "go.mod": chiGoMod("example.com/chiapp"),
  "go.sum": CHI_GO_SUM,
  "main.go": `package main

import (
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"
)

func main() {
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("hello from chi")) })
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.ListenAndServe("127.0.0.1:"+port, r)
}
`,
  "templates/index.html": "<h1>kept</h1>\n",
};

/** Starts `binary` with PORT set, GETs / once it answers, stops it, returns the body. */
async function ask(binary: string): Promise<string> {
  const port = await freePort();
  const child = spawn(binary, [], { env: { PORT: String(port) }, stdio: "ignore" });
  try {
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      if (res) return await res.text();
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${binary} did not answer on ${port}`);
  } finally {
    child.kill("SIGTERM");
  }
}

describe("detect", () => {
  test.each(["go.mod", "go.work"])("%s passes, providing and requiring go for the build", async (file) => {
    const r = await runDetect(bp, opts({ [file]: "go 1.26\n" }));
    expect(r.passed).toBe(true);
    expect(r.plans[0]?.requires).toEqual([{ name: "go", metadata: { build: true } }]);
  });
  test("no go.mod fails with the reason", async () => {
    const r = await runDetect(bp, opts({ "main.go": "package main\n" }));
    expect(r.result).toEqual({
      kind: "fail",
      reason: "no go.mod or go.work in the app (or BP_GO_WORK_USE naming its modules)",
    });
  });
});

describe("a chi app", () => {
  test("builds a static binary that serves, with an SBOM from its build info; a rebuild runs no go command", async () => {
    const first = await runBuild(bp, opts(CHI_APP));
    const out = text(first.stdout);
    expect(out).toContain("go.mod's go line 1.26: the newest 1.26 patch");
    expect(out).toContain("Selected Go 1.26.11");
    expect(out).toContain("Installing Go 1.26.11 (build only)");
    const binary = join(first.layer("app").path, "bin", "chiapp");
    expect(first.processes).toEqual([
      { type: "web", command: [binary], default: true },
      { type: "chiapp", command: [binary] },
    ]);
    expect(await ask(binary)).toBe("hello from chi");
    // Static: no program interpreter in the ELF.
    expect((await readFile(binary)).includes(Buffer.from("/lib64/ld-linux"))).toBe(false);
    expect(first.layer("app").toml?.types).toMatchObject({ launch: true, build: false, cache: false });
    expect(first.layer("go").toml?.types).toMatchObject({ build: true, launch: false });
    expect(first.layer("go-mod").toml?.types).toMatchObject({ cache: true, launch: false, build: false });
    const cdx = first.sbom("app", "cdx") as { components: Array<{ name: string; version?: string; purl?: string }> };
    const purls = cdx.components.map((c) => c.purl);
    expect(purls).toContain("pkg:golang/github.com/go-chi/chi/v5@v5.2.3");
    expect(purls).toContain("pkg:golang/stdlib@1.26.11");
    expect(purls).toContain("pkg:golang/example.com/chiapp");
    // The sources leave the image; the templates the app may open stay; bin/ links for Procfiles.
    expect(existsSync(join(first.app, "main.go"))).toBe(false);
    expect(existsSync(join(first.app, "go.mod"))).toBe(false);
    expect(existsSync(join(first.app, "templates/index.html"))).toBe(true);
    expect(await ask(join(first.app, "bin", "chiapp"))).toBe("hello from chi");

    const second = await runBuild(bp, { ...opts(CHI_APP), restore: first.layers });
    const again = text(second.stdout);
    expect(second.layer("app").state.kind).toBe("restored");
    expect(again).not.toContain("Installing Go");
    expect(again).not.toContain("go build");
    // The caches stay for the next build that compiles.
    expect(second.layer("go-build").state.kind).toBe("restored");
    expect(second.layer("go-mod").state.kind).toBe("restored");
    expect((second.sbom("app", "cdx") as { components: unknown[] }).components).toEqual(cdx.components);

    const edited = { ...CHI_APP, "main.go": CHI_APP["main.go"]!.replace("hello from chi", "hello again") };
    const third = await runBuild(bp, { ...opts(edited), restore: second.layers });
    expect(text(third.stdout)).toMatch(/Rebuilding app: .*sources/);
    // The edit changed no import: go list's answer about cgo is reused, through the no-op build.
    expect(text(third.stdout)).toContain(
      "Reusing the cgo decision (imports unchanged)\n    no package outside the standard library uses cgo: static binaries",
    );
    expect(await ask(join(third.layer("app").path, "bin", "chiapp"))).toBe("hello again");
    warm = third.layers;
  }, 300_000);
});

// The layers of the chi app's last build: later builds restore them as the lifecycle restores
// an app's cache, so they find Go 1.26's standard library compiled in go-build (GOCACHE)
// instead of compiling it again (~40 s each on two busy cores).
let warm: string | undefined;
const warmed = (app: Record<string, string>, platformEnv: Record<string, string> = {}) => ({
  ...opts(app, platformEnv),
  ...(warm ? { restore: warm } : {}),
});

/** A module vendored into the app, as `go mod vendor` lays it out. */
const VENDORED: Record<string, string> = {
  "go.mod": "module example.com/shop\n\ngo 1.26\n\nrequire example.com/greet v1.0.0\n",
  "vendor/modules.txt": "# example.com/greet v1.0.0\n## explicit; go 1.21\nexample.com/greet\n",
  "vendor/example.com/greet/greet.go":
    'package greet\n\n// Hello greets.\nfunc Hello(who string) string { return "hello " + who }\n',
  "cmd/api/main.go":
    'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/greet"\n)\n\nfunc main() { fmt.Println(greet.Hello("api")) }\n',
  "cmd/worker/main.go":
    'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/greet"\n)\n\nfunc main() { fmt.Println(greet.Hello("worker")) }\n',
  "internal/gen/gen.go": "//go:build ignore\n\npackage main\n\nfunc main() {}\n",
};

describe("app shapes", () => {
  test("cmd/ binaries of a vendored app build offline (-mod=vendor, GOPROXY=off), one process each", async () => {
    const r = await runBuild(bp, warmed(VENDORED, { GOPROXY: "off" }));
    const out = text(r.stdout);
    expect(out).toContain("./cmd/api (api), ./cmd/worker (worker): the main packages under cmd/");
    const bin = join(r.layer("app").path, "bin");
    expect(r.processes).toEqual([
      { type: "web", command: [join(bin, "api")], default: true },
      { type: "api", command: [join(bin, "api")] },
      { type: "worker", command: [join(bin, "worker")] },
    ]);
    expect(execFileSync(join(bin, "worker"), { encoding: "utf8" })).toBe("hello worker\n");
    expect(existsSync(join(r.app, "vendor"))).toBe(false);
  }, 300_000);

  test("a go.work workspace, or BP_GO_WORK_USE, builds its main module against the local library module", async () => {
    const app = {
      "go.work": "go 1.26\n\nuse (\n\t./api\n\t./lib\n)\n",
      "api/go.mod": "module example.com/ws/api\n\ngo 1.26\n",
      "api/main.go":
        'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/ws/lib"\n)\n\nfunc main() { fmt.Println(lib.Name()) }\n',
      "lib/go.mod": "module example.com/ws/lib\n\ngo 1.26\n",
      "lib/lib.go":
        'package lib\n\n// Name is the workspace\'s name.\nfunc Name() string { return "from the workspace" }\n',
    };
    const r = await runBuild(bp, warmed(app));
    expect(text(r.stdout)).toContain("go.work's go line 1.26");
    expect(execFileSync(join(r.layer("app").path, "bin", "api"), { encoding: "utf8" })).toBe("from the workspace\n");
    // The same modules without a go.work: BP_GO_WORK_USE makes the workspace (go work init).
    const { "go.work": _, ...modules } = app;
    const named = await runBuild(bp, warmed(modules, { BP_GO_WORK_USE: "./api:./lib", BP_GO_VERSION: "1.26" }));
    expect(text(named.stdout)).toContain("go work init ./api ./lib");
    expect(execFileSync(join(named.layer("app").path, "bin", "api"), { encoding: "utf8" })).toBe(
      "from the workspace\n",
    );
    expect(existsSync(join(named.app, "go.work"))).toBe(false);
  }, 300_000);

  test("BP_GO_TARGETS, BP_GO_BUILD_LDFLAGS and BP_KEEP_FILES", async () => {
    const app = {
      "go.mod": "module example.com/tools\n\ngo 1.26\n",
      "server/main.go": 'package main\n\nimport "fmt"\n\nvar version = "dev"\n\nfunc main() { fmt.Println(version) }\n',
      "other/main.go": "package main\n\nfunc main() {}\n",
      // A file named bin: no bin/<name> links then, and the build goes on.
      bin: "notes, not a directory\n",
    };
    const err = await runBuild(bp, warmed(app)).catch((e) => e);
    expect(err.message).toBe("several main packages and none at the root or under cmd/: ./other, ./server");
    const r = await runBuild(
      bp,
      warmed(app, {
        BP_GO_TARGETS: "./server",
        BP_GO_BUILD_LDFLAGS: "-s -w -X main.version=1.2.3",
        BP_KEEP_FILES: "server/*",
      }),
    );
    expect(execFileSync(join(r.layer("app").path, "bin", "server"), { encoding: "utf8" })).toBe("1.2.3\n");
    expect(existsSync(join(r.app, "server/main.go"))).toBe(true);
    expect(existsSync(join(r.app, "other/main.go"))).toBe(false);
    expect(await readFile(join(r.app, "bin"), "utf8")).toBe("notes, not a directory\n");
  }, 300_000);

  test("a package that starts using cgo turns cgo on, saying why (go list asked again); the binary links glibc", async () => {
    const pure = {
      "go.mod": "module example.com/cgoapp\n\ngo 1.26\n",
      "main.go":
        'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/cgoapp/native"\n)\n\nfunc main() { fmt.Println(native.Answer()) }\n',
      "native/native.go": "package native\n\n// Answer answers.\nfunc Answer() int { return 42 }\n",
    };
    const before = await runBuild(bp, warmed(pure));
    expect(text(before.stdout)).toContain("no package outside the standard library uses cgo: static binaries");
    const app = {
      ...pure,
      "native/native.go":
        'package native\n\n// int answer(void) { return 42; }\nimport "C"\n\n// Answer asks C.\nfunc Answer() int { return int(C.answer()) }\n',
    };
    const r = await runBuild(bp, { ...opts(app), restore: before.layers });
    expect(text(r.stdout)).not.toContain("Reusing the cgo decision");
    expect(text(r.stdout)).toContain("example.com/cgoapp/native uses cgo: CGO_ENABLED=1");
    const binary = join(r.layer("app").path, "bin", "cgoapp");
    expect(execFileSync(binary, { encoding: "utf8" })).toBe("42\n");
    expect((await readFile(binary)).includes(Buffer.from("/lib64/ld-linux"))).toBe(true);
  }, 300_000);
});

describe("bad input gets one line", () => {
  test.each([
    [
      "a library with no main package",
      { "go.mod": "module example.com/lib\n\ngo 1.26\n", "lib.go": "package lib\n" },
      {},
      "no main package to build: no .go file in the app says `package main`",
    ],
    [
      "a go line newer than the inventory",
      { "go.mod": "module example.com/x\n\ngo 1.99\n", "main.go": "package main\n\nfunc main() {}\n" },
      {},
      "go.mod: go 1.99 is newer than every Go in the inventory (newest: 1.27.4)",
    ],
    [
      "a BP_GO_VERSION the inventory lacks",
      { "go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\n\nfunc main() {}\n" },
      { BP_GO_VERSION: "1.19" },
      'BP_GO_VERSION "1.19" matches no Go version in the inventory (1.27.4, 1.26.11)',
    ],
  ])(
    "%s",
    async (_, app, env, message) => {
      const err = await runBuild(bp, warmed(app, env)).catch((e) => e);
      expect(err.message).toBe(message);
      expect(err.hint).toBeTruthy();
    },
    300_000,
  );

  test("a compile error: the first error line, with its file and line", async () => {
    const app = {
      "go.mod": "module example.com/x\n\ngo 1.26\n",
      "main.go": "package main\n\nfunc main() { undefinedThing() }\n",
    };
    const err = await runBuild(bp, warmed(app)).catch((e) => e);
    expect(err.message).toMatch(/^go build failed \(exit 1\): \.\/main\.go:3:15: undefined: undefinedThing$/);
  }, 300_000);
});

describe("a multi-platform build", () => {
  test("the native build cross-compiles the arm64 binaries; the arm64 build restores them and installs no Go", async () => {
    const store = await mkdtemp(join(tmpdir(), "cnbkit-go-store-"));
    onTestFinished(() => rm(store, { recursive: true, force: true }));
    // The vendored app: a small standard library to cross-compile (fmt, not net/http).
    const native = await runBuild(bp, {
      ...warmed(VENDORED, { GOPROXY: "off" }),
      archNeutral: { dir: store, role: "produce", reusers: ["arm64"] },
    });
    expect(text(native.stdout)).toContain("Compiling ./cmd/api ./cmd/worker for linux/arm64");
    const arm = await runBuild(bp, {
      ...opts(VENDORED, { GOPROXY: "off" }),
      env: { ...TEST_ENV, CNB_TARGET_ARCH: "arm64" },
      archNeutral: { dir: store, role: "reuse" },
    });
    const out = text(arm.stdout);
    expect(out).not.toContain("Installing Go");
    expect(arm.layer("app").state).toMatchObject({ kind: "restored" });
    for (const name of ["api", "worker"]) {
      const elf = await readFile(join(arm.layer("app").path, "bin", name));
      expect(elf.readUInt16LE(18)).toBe(183); // EM_AARCH64
    }
    const purls = (arm.sbom("app", "cdx") as { components: Array<{ purl?: string }> }).components.map((c) => c.purl);
    expect(purls).toContain("pkg:golang/example.com/greet@v1.0.0");
    expect(purls).toContain("pkg:golang/stdlib@1.26.11");
  }, 300_000);
});
