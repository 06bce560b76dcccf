import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { metadataSchema } from "../layers/metadata.js";
import { runBuild } from "../testing/index.js";
import { buildpack } from "./main.js";

// ctx.dependencies.layer through the in-process harness: a JDK-like build layer and a
// Tomcat-like launch layer from file:// tarballs (so "on the builder": not cached).
let dir = "";
let buildpackToml = "";

/** Makes <name>-<version>.tar.gz (one top dir holding bin/tool) and returns its inventory entry. */
async function entry(id: string, version: string): Promise<string> {
  const top = join(dir, `${id}-${version}`);
  await mkdir(join(top, "bin"), { recursive: true });
  await writeFile(join(top, "bin", "tool"), `#!/bin/sh\necho ${id} ${version}\n`, { mode: 0o755 });
  await writeFile(join(top, "README"), "trimmed by afterInstall\n");
  const file = join(dir, `${id}-${version}.tar.gz`);
  execFileSync("tar", ["-czf", file, "-C", dir, `${id}-${version}`]);
  const sha256 = createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
  return `
[[metadata.dependencies]]
id = "${id}"
name = "Test ${id}"
version = "${version}"
uri = "${pathToFileURL(file).href}"
sha256 = "${sha256}"
strip-components = 1
purl = "pkg:generic/${id}@${version}"
`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-deplayer-"));
  buildpackToml = `api = "0.12"
[buildpack]
id = "test/deps"
name = "Test deps"
version = "0.1.0"
sbom-formats = ["application/vnd.cyclonedx+json"]
${await entry("jdk", "1.0.0")}${await entry("server", "2.0.0")}${await entry("server", "2.1.0")}`;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const bp = buildpack({
  async detect(ctx) {
    return ctx.pass();
  },
  async build(ctx) {
    await ctx.dependencies.layer("jdk", ctx.dependencies.resolve("jdk"), {
      types: { build: true },
      note: "(build only)",
    });
    const server = ctx.dependencies.resolve("server", process.env.TEST_SERVER_VERSION ?? "*");
    const layer = await ctx.dependencies.layer("server", server, {
      types: { launch: true },
      key: { conf: "v1" },
      metadata: metadataSchema({ files: "number" }),
      async afterInstall(l) {
        await rm(join(l.path, "README"));
        return { files: 1 };
      },
    });
    ctx.log.detail(`server metadata files=${layer.metadata.files}`);
    return {};
  },
});

test("a dependency in a layer: installed, stripped, keyed, typed, cached by its kind, with its SBOM", async () => {
  const first = await runBuild(bp, { app: {}, buildpackToml });
  expect(first.layer("jdk").files).toEqual(["README", "bin/tool"]);
  // A build layer carried by the builder (file://) is not cached; a launch-only one never is.
  expect(first.layer("jdk").toml?.types).toEqual({ build: true, launch: false, cache: false });
  expect(first.layer("server").toml?.types).toEqual({ build: false, launch: true, cache: false });
  expect(first.layer("server").files).toEqual(["bin/tool"]);
  expect(first.stdout).toContain("    Installing Test jdk 1.0.0 (build only)");
  expect(first.stdout).toContain("    Installing Test server 2.1.0");
  expect(first.stdout).toContain("    server metadata files=1");
  const cdx = first.sbom("server", "cdx") as { components: { purl?: string }[] };
  expect(cdx.components.map((c) => c.purl)).toEqual(["pkg:generic/server@2.1.0"]);

  // The launch layer comes back from the image (no files, metadata kept, SBOM still there).
  const second = await runBuild(bp, { app: first.app, restore: first.layers, buildpackToml });
  expect(second.layer("server").state.kind).toBe("restored");
  expect(second.stdout).toContain("    server metadata files=1");
  expect(second.stdout).not.toContain("    Installing Test server 2.1.0");
  expect((second.sbom("server", "cdx") as { components: unknown[] }).components).toHaveLength(1);

  // Another version of the dependency is another layer, and the log says what changed.
  process.env.TEST_SERVER_VERSION = "2.0.0";
  try {
    const third = await runBuild(bp, { app: second.app, restore: second.layers, buildpackToml });
    expect(third.layer("server").state.kind).toBe("reset");
    expect(third.stdout.join("\n")).toMatch(/Rebuilding server: .*version/);
    expect(third.stdout).toContain("    Installing Test server 2.0.0");
  } finally {
    delete process.env.TEST_SERVER_VERSION;
  }
});

test("a runtime's own choices: its cache type, a key without the id, excluded paths, the kept download", async () => {
  const kept = join(dir, "kept");
  let download: string | undefined;
  const runtime = buildpack({
    async detect(ctx) {
      return ctx.pass();
    },
    async build(ctx) {
      await ctx.dependencies.layer("runtime", ctx.dependencies.resolve("server", "2.0.0"), {
        types: { build: true, launch: true, cache: true },
        idInKey: false,
        key: { env: "production" },
        exclude: ["README"],
        keepDownloadIn: kept,
        patch: { same: "major", why: "the ABI is fixed within a major" },
        afterInstall(_layer, d) {
          download = d;
          ctx.log.detail("after install");
        },
      });
      return {};
    },
  });
  const first = await runBuild(runtime, { app: {}, buildpackToml });
  const layer = first.layer("runtime");
  // Cached although the builder carries it (file://): the caller said so.
  expect(layer.toml?.types).toEqual({ build: true, launch: true, cache: true });
  expect(Object.keys(layer.toml?.metadata?.["cache-key"] ?? {})).toEqual(["version", "sha256", "arch", "env"]);
  expect(layer.files).toEqual(["bin/tool"]);
  // The patch rule and the exact dependency, for cnbkit fleet patch to read from the image.
  expect(layer.toml?.metadata?.patch).toMatchObject({
    dependency: "server",
    version: "2.0.0",
    line: "2",
    same: "major",
  });
  // A file:// download is kept where it is, and afterInstall is told where.
  expect(download).toBe(join(dir, "server-2.0.0.tar.gz"));
  // "Installed in" times the install; what afterInstall does and says comes after it.
  const lines = first.stdout.map((l) => l.trim());
  const installed = lines.findIndex((l) => l.startsWith("Installed in"));
  expect(installed).toBeGreaterThan(lines.indexOf("Installing Test server 2.0.0"));
  expect(lines.indexOf("after install")).toBe(installed + 1);
});

test("lazyLayer: kept from the cache by its key without installing; installed only when a step asks", async () => {
  let installs = 0;
  const toolchain = buildpack({
    async detect(ctx) {
      return ctx.pass();
    },
    async build(ctx) {
      const jdk = await ctx.dependencies.lazyLayer("jdk", ctx.dependencies.resolve("jdk"), {
        // Cached: the toolchain is what a rebuild would otherwise download again.
        types: { build: true, cache: true },
        afterInstall: () => void installs++,
      });
      ctx.log.detail(`jdk ${jdk.state.kind}${jdk.kept ? " kept" : ""}`);
      if (ctx.platform.env.COMPILE) {
        const layer = await jdk.get();
        expect(await jdk.get()).toBe(layer);
        ctx.log.detail(`compiled with ${layer.path}`);
      }
      return {};
    },
  });
  // Nothing needs it and nothing is cached: no install, no layer.
  const idle = await runBuild(toolchain, { app: {}, buildpackToml });
  expect(installs).toBe(0);
  expect(idle.stdout).toContain("    Not installing Test jdk 1.0.0 yet: only a step that needs it will");
  expect(() => idle.layer("jdk").toml).toThrow();

  // A step needs it: installed, as ctx.dependencies.layer would.
  const first = await runBuild(toolchain, { app: {}, buildpackToml, platformEnv: { COMPILE: "1" } });
  expect(installs).toBe(1);
  expect(first.layer("jdk").toml?.types).toEqual({ build: true, launch: false, cache: true });
  expect(first.layer("jdk").files).toEqual(["README", "bin/tool"]);

  // The app is unchanged: the cached toolchain is kept as it is, not installed, SBOM and all.
  const second = await runBuild(toolchain, { app: first.app, restore: first.layers, buildpackToml });
  expect(installs).toBe(1);
  expect(second.stdout).toContain("    Reusing jdk (key unchanged; kept without installing)");
  expect(second.stdout).toContain("    jdk restored kept");
  expect(second.layer("jdk").toml?.types).toEqual({ build: true, launch: false, cache: true });
  expect((second.sbom("jdk", "cdx") as { components: unknown[] }).components).toHaveLength(1);

  // So the build after that, which compiles, still finds it in the cache.
  const third = await runBuild(toolchain, {
    app: second.app,
    restore: second.layers,
    buildpackToml,
    platformEnv: { COMPILE: "1" },
  });
  expect(installs).toBe(1);
  expect(third.layer("jdk").state.kind).toBe("restored");
  expect(third.layer("jdk").files).toEqual(["README", "bin/tool"]);
});
