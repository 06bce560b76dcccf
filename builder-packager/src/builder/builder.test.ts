import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { cp, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CnbError } from "@cnbkit/framework";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { build, createWorkspace, detect, lifecycleDir, readLifecycleToml } from "../../../test/support/lifecycle.js";
import { NODE_VERSION } from "../compile/index.js";
import { LayerBlobCache } from "../oci/index.js";
import { startRegistry, type TestRegistry } from "../oci/test-registry.js";
import { BUILDPACK_LAYERS_LABEL, packageBuildpack } from "../package/index.js";
import {
  skopeoConfig,
  skopeoInspect,
  umociUnpack,
  writeCompiledBuildpack,
  writeShellBuildpack,
} from "../package/test-fixtures.js";
import { BUILDER_METADATA_LABEL, BUILDER_ORDER_LABEL, BUILDER_SYSTEM_LABEL, createBuilder } from "./index.js";
import { writeTestBaseImage } from "./test-fixtures.js";

let root: string;
let registry: TestRegistry;
let builderToml: string;
let out: string;
let digest: string;
let rootfs: string;

/** The builder.toml the tests share: a compiled buildpack, a .cnb and a registry image. */
function builderTomlText(o: { base: string; pushed: string; extra?: string; order?: string }): string {
  return `description = "cnbkit test builder"

[[buildpacks]]
id = "acme/compiled"
version = "1.0.0"
uri = "./compiled"

[[buildpacks]]
uri = "./shell-a.cnb"

[[buildpacks]]
image = "${o.pushed}"

${
  o.order ??
  `[[order]]
[[order.group]]
id = "acme/compiled"
[[order.group]]
id = "acme/shell-a"
optional = true

[[order]]
[[order.group]]
id = "acme/shell-b"
version = "2.0.0"`
}

[build]
image = "${o.base}"

[[build.env]]
name = "BP_GREETING"
value = "hi"
suffix = "default"

[[build.env]]
name = "PATH"
value = "/opt/tools"
suffix = "prepend"
delim = ":"

[run]
[[run.images]]
image = "example.com/acme/run:latest"
mirrors = ["mirror.example.com/acme/run:latest"]

[lifecycle]
uri = "${lifecycleDir()}"
${o.extra ?? ""}`;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-builder-test-"));
  registry = await startRegistry();
  await writeCompiledBuildpack(join(root, "cfg", "compiled"), { id: "acme/compiled", version: "1.0.0" });
  const a = await writeShellBuildpack(join(root, "src", "shell-a"), { id: "acme/shell-a", version: "1.0.0" });
  await packageBuildpack({ dir: a, format: "file", output: join(root, "cfg", "shell-a.cnb") });
  const b = await writeShellBuildpack(join(root, "src", "shell-b"), { id: "acme/shell-b", version: "2.0.0" });
  await packageBuildpack({ dir: b, format: "image", output: `${registry.host}/acme/shell-b:2.0.0` });
  await writeTestBaseImage(join(root, "cfg", "base"), "build");
  builderToml = join(root, "cfg", "builder.toml");
  await writeFile(
    builderToml,
    builderTomlText({ base: "oci:base:build", pushed: `${registry.host}/acme/shell-b:2.0.0` }),
  );
  out = join(root, "builder");
  const result = await createBuilder({ config: builderToml, output: `oci:${out}:latest` });
  digest = result.digest;
  rootfs = await umociUnpack(out, "latest", join(root, "bundle"));
  // The compiled buildpack, packaged once, so later builders do not compile it again.
  await packageBuildpack({
    dir: join(root, "cfg", "compiled"),
    format: "oci",
    output: join(root, "cfg", "compiled.oci"),
  });
});

/** The shared builder.toml with the compiled buildpack prepackaged (same layers, same builder). */
function prepackagedToml(): string {
  return builderTomlText({ base: "oci:base:build", pushed: `${registry.host}/acme/shell-b:2.0.0` }).replace(
    'uri = "./compiled"',
    'uri = "./compiled.oci"',
  );
}

afterAll(async () => {
  await registry?.stop();
  await rm(root, { recursive: true, force: true });
});

describe("createBuilder", () => {
  test("skopeo reads the builder; its labels have pack's shapes and the base image's labels stay", async () => {
    const info = await skopeoInspect(`oci:${out}:latest`);
    expect(info.Digest).toBe(digest);
    expect(info.Labels["io.buildpacks.base.id"]).toBe("test.base");
    const meta = JSON.parse(info.Labels[BUILDER_METADATA_LABEL] ?? "{}");
    expect(Object.keys(meta)).toEqual([
      "description",
      "buildpacks",
      "extensions",
      "stack",
      "lifecycle",
      "createdBy",
      "images",
    ]);
    expect(meta.description).toBe("cnbkit test builder");
    expect(meta.buildpacks.map((b: { id: string; version: string }) => `${b.id}@${b.version}`)).toEqual([
      "acme/compiled@1.0.0",
      "acme/shell-a@1.0.0",
      "acme/shell-b@2.0.0",
      `cnbkit/node-runtime@${NODE_VERSION}`,
    ]);
    expect(meta.stack).toEqual({
      runImage: { image: "example.com/acme/run:latest", mirrors: ["mirror.example.com/acme/run:latest"] },
    });
    expect(meta.images).toEqual([
      { image: "example.com/acme/run:latest", mirrors: ["mirror.example.com/acme/run:latest"] },
    ]);
    const lcToml = parseToml(await readFile(join(lifecycleDir(), "lifecycle.toml"), "utf8"), "lifecycle.toml") as {
      lifecycle: { version: string };
      apis: { buildpack: { supported: string[] }; platform: { supported: string[] } };
    };
    expect(meta.lifecycle.version).toBe(lcToml.lifecycle.version);
    expect(meta.lifecycle.apis.platform.supported).toEqual(lcToml.apis.platform.supported);
    expect(meta.lifecycle.api).toEqual({
      buildpack: lcToml.apis.buildpack.supported[0],
      platform: lcToml.apis.platform.supported[0],
    });
    expect(meta.createdBy.name).toBe("cnbkit");

    expect(JSON.parse(info.Labels[BUILDER_ORDER_LABEL] ?? "[]")).toEqual([
      {
        group: [
          { id: "acme/compiled", version: "1.0.0" },
          { id: "acme/shell-a", version: "1.0.0", optional: true },
        ],
      },
      { group: [{ id: "acme/shell-b", version: "2.0.0" }] },
    ]);
    const layers = JSON.parse(info.Labels[BUILDPACK_LAYERS_LABEL] ?? "{}");
    expect(Object.keys(layers)).toEqual(["acme/compiled", "acme/shell-a", "acme/shell-b", "cnbkit/node-runtime"]);
    // Buildpack layers are the buildpackages' own: the .cnb's diffID is in the builder.
    const a = await skopeoInspect(`oci-archive:${join(root, "cfg", "shell-a.cnb")}`);
    expect(layers["acme/shell-a"]["1.0.0"]).toEqual(
      JSON.parse(a.Labels[BUILDPACK_LAYERS_LABEL] ?? "{}")["acme/shell-a"]["1.0.0"],
    );
    expect(info.Layers).toContain(a.Layers[0]);

    const config = await skopeoConfig(`oci:${out}:latest`);
    expect(config.config.User).toBe("1000:1000");
    expect(config.config.WorkingDir).toBe("/layers");
    expect(config.config.Env).toEqual(expect.arrayContaining(["CNB_USER_ID=1000", "CNB_GROUP_ID=1000"]));
  });

  test("umoci unpacks it: owners, modes, lifecycle, /cnb files and the compiled bin/", async () => {
    for (const d of ["workspace", "layers"]) {
      const st = await stat(join(rootfs, d));
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([1000, 1000, 0o755]);
    }
    for (const d of ["cnb", "cnb/buildpacks", "platform/env", "cnb/build-config/env"]) {
      const st = await stat(join(rootfs, d));
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 0, 0o755]);
    }
    expect((await stat(join(rootfs, "cnb/lifecycle/lifecycle"))).mode & 0o777).toBe(0o755);
    expect(await readlink(join(rootfs, "cnb/lifecycle/detector"))).toBe("lifecycle");
    expect(await readdir(join(rootfs, "cnb/lifecycle"))).toEqual(
      expect.arrayContaining(["launcher", "lifecycle.toml", "builder"]),
    );
    expect(await readlink(join(rootfs, "lifecycle"))).toBe("/cnb/lifecycle");
    // The SBOMs a lifecycle release carries, made from the binaries' Go build info: the same
    // modules `go version -m` lists (Go reads the binary itself here).
    for (const component of ["lifecycle", "launcher"]) {
      const goList = execFileSync("go", ["version", "-m", join(lifecycleDir(), component)], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.startsWith("\tdep\t"))
        .map((l) => `pkg:golang/${l.split("\t")[2]}@${l.split("\t")[3]}`);
      expect(goList.length).toBeGreaterThan(3);
      const cdx = JSON.parse(await readFile(join(rootfs, `cnb/lifecycle/${component}.sbom.cdx.json`), "utf8"));
      const purls = cdx.components.map((c: { purl?: string }) => c.purl);
      expect(purls).toEqual(expect.arrayContaining([...goList, "pkg:golang/github.com/buildpacks/lifecycle@v0.21.17"]));
      const spdx = JSON.parse(await readFile(join(rootfs, `cnb/lifecycle/${component}.sbom.spdx.json`), "utf8"));
      expect(spdx.packages.length).toBe(cdx.components.length);
      const syft = JSON.parse(await readFile(join(rootfs, `cnb/lifecycle/${component}.sbom.syft.json`), "utf8"));
      expect(syft.artifacts.map((a: { purl: string }) => a.purl).sort()).toEqual([...purls].sort());
    }

    const order = parseToml(await readFile(join(rootfs, "cnb/order.toml"), "utf8"), "order.toml");
    expect(order.order).toEqual([
      {
        group: [
          { id: "acme/compiled", version: "1.0.0" },
          { id: "acme/shell-a", version: "1.0.0", optional: true },
        ],
      },
      { group: [{ id: "acme/shell-b", version: "2.0.0" }] },
    ]);
    expect(parseToml(await readFile(join(rootfs, "cnb/run.toml"), "utf8"), "run.toml")).toEqual({
      images: [{ image: "example.com/acme/run:latest", mirrors: ["mirror.example.com/acme/run:latest"] }],
    });
    expect(parseToml(await readFile(join(rootfs, "cnb/stack.toml"), "utf8"), "stack.toml")).toEqual({
      "run-image": { image: "example.com/acme/run:latest", mirrors: ["mirror.example.com/acme/run:latest"] },
    });
    const env = join(rootfs, "cnb/build-config/env");
    expect((await readdir(env)).sort()).toEqual(["BP_GREETING.default", "PATH.delim", "PATH.prepend"]);
    expect(await readFile(join(env, "PATH.prepend"), "utf8")).toBe("/opt/tools");
    expect(await readFile(join(env, "PATH.delim"), "utf8")).toBe(":");

    // The compiled buildpack is its bundle and two sh launchers; Node is the runtime buildpack's.
    const bin = join(rootfs, "cnb/buildpacks/acme_compiled/1.0.0/bin");
    expect((await readdir(bin)).sort()).toEqual(["build", "detect"]);
    for (const name of ["build", "detect"]) {
      const launcher = await stat(join(bin, name));
      expect([launcher.uid, launcher.mode & 0o777]).toEqual([0, 0o755]);
      expect(await readFile(join(bin, name), "utf8")).toMatch(/^#!\/bin\/sh\n/);
    }
    const node = await stat(join(rootfs, `cnb/buildpacks/cnbkit_node-runtime/${NODE_VERSION}/bin/node`));
    expect([node.uid, node.mode & 0o777]).toEqual([0, 0o755]);
    expect(node.size).toBeGreaterThan(10_000_000);
    // Only buildpack.toml, bin/ and lib/ are staged from a framework buildpack's source dir.
    expect((await readdir(join(rootfs, "cnb/buildpacks/acme_compiled/1.0.0"))).sort()).toEqual([
      "bin",
      "buildpack.toml",
      "lib",
    ]);
  });

  test("the real lifecycle detects and builds with the builder's /cnb/buildpacks and /cnb/order.toml", async () => {
    const ws = await createWorkspace();
    try {
      await rm(ws.buildpacks, { recursive: true });
      await cp(join(rootfs, "cnb/buildpacks"), ws.buildpacks, { recursive: true, verbatimSymlinks: true });
      await cp(join(rootfs, "cnb/order.toml"), ws.orderPath);
      await writeFile(join(ws.app, "hello.txt"), "hello\n");
      const d = await detect(ws);
      expect(d.output).not.toMatch(/ERROR/);
      expect(d.code).toBe(0);
      const group = (await readLifecycleToml(join(ws.layers, "group.toml"))) as { group: { id: string }[] };
      expect(group.group.map((g) => g.id)).toEqual(["acme/compiled", "acme/shell-a"]);
      const b = await build(ws);
      expect(b.code, b.output).toBe(0);
      expect(b.output).toContain("compiled buildpack built on x64");
      expect(await readFile(join(ws.layers, "acme_compiled", "greeting", "message"), "utf8")).toBe(
        "compiled hello from x64",
      );
      expect(await readFile(join(ws.layers, "acme_shell-a", "acme_shell-a", "proof"), "utf8")).toBe("built\n");
      const launch = await readLifecycleToml(join(ws.layers, "config", "metadata.toml"));
      expect(JSON.stringify(launch)).toContain("hello.txt");

      // Without hello.txt the compiled buildpack fails detection and the second group runs.
      await rm(join(ws.app, "hello.txt"));
      await rm(join(ws.layers, "group.toml"));
      const d2 = await detect(ws);
      expect(d2.code).toBe(0);
      const group2 = (await readLifecycleToml(join(ws.layers, "group.toml"))) as { group: { id: string }[] };
      expect(group2.group.map((g) => g.id)).toEqual(["acme/shell-b"]);
    } finally {
      await ws.cleanup();
    }
  });

  test("[system]: /cnb/system.toml and its label as pack writes them; the lifecycle's detect puts them around each group", async () => {
    const system =
      '\n[[system.post.buildpacks]]\nid = "acme/shell-a"\n\n[[system.pre.buildpacks]]\nid = "acme/shell-b"\nversion = "2.0.0"\n';
    const cfg = join(root, "cfg", "system.toml");
    await writeFile(cfg, prepackagedToml() + system);
    const sysOut = join(root, "system-builder");
    await createBuilder({ config: cfg, output: `oci:${sysOut}:latest` });
    const info = await skopeoInspect(`oci:${sysOut}:latest`);
    // As builder.toml gave it (pack labels the config, not the resolved refs).
    expect(JSON.parse(info.Labels[BUILDER_SYSTEM_LABEL] ?? "{}")).toEqual({
      pre: { buildpacks: [{ id: "acme/shell-b", version: "2.0.0" }] },
      post: { buildpacks: [{ id: "acme/shell-a" }] },
    });
    const sysRootfs = await umociUnpack(sysOut, "latest", join(root, "system-bundle"));
    const systemToml = await readFile(join(sysRootfs, "cnb/system.toml"), "utf8");
    expect(parseToml(systemToml, "system.toml")).toEqual({
      system: {
        pre: { buildpacks: [{ id: "acme/shell-b", version: "2.0.0" }] },
        post: { buildpacks: [{ id: "acme/shell-a", version: "1.0.0" }] },
      },
    });
    // The builder without [system] has neither.
    expect((await skopeoInspect(`oci:${out}:latest`)).Labels[BUILDER_SYSTEM_LABEL]).toBeUndefined();
    await expect(stat(join(rootfs, "cnb/system.toml"))).rejects.toThrow();

    const ws = await createWorkspace();
    try {
      await rm(ws.buildpacks, { recursive: true });
      await cp(join(sysRootfs, "cnb/buildpacks"), ws.buildpacks, { recursive: true, verbatimSymlinks: true });
      await cp(join(sysRootfs, "cnb/order.toml"), ws.orderPath);
      await cp(join(sysRootfs, "cnb/system.toml"), join(ws.root, "system.toml"));
      // No hello.txt: the first group fails, the second runs with the pre and post system buildpacks.
      const d = await detect(ws, { CNB_SYSTEM_PATH: join(ws.root, "system.toml") });
      expect(d.code, d.output).toBe(0);
      const group = (await readLifecycleToml(join(ws.layers, "group.toml"))) as { group: { id: string }[] };
      // acme/shell-b is that group's own already: the lifecycle adds it once.
      expect(group.group.map((g) => g.id)).toEqual(["acme/shell-b", "acme/shell-a"]);
    } finally {
      await ws.cleanup();
    }
  });

  test("creating it again gives the same digest", async () => {
    const again = await createBuilder({ config: builderToml, output: `oci:${join(root, "again")}:v1` });
    expect(again.digest).toBe(digest);
  });

  test("a second create reuses the compressed layers of the packaged buildpack and the lifecycle, same digest", async () => {
    const cacheRoot = join(root, "layer-blobs");
    const first = new LayerBlobCache({ root: cacheRoot });
    const a = await createBuilder({ config: builderToml, output: `oci:${join(root, "lc1")}:v1`, layerCache: first });
    // acme/compiled (linux/amd64, a ~100 MB executable) and the lifecycle; the .cnb and the
    // registry buildpack bring their blobs, and the config-file layers are too small to cache.
    expect(first.stats).toEqual({ reused: 0, stored: 2, discarded: 0 });
    const lines: string[] = [];
    const second = new LayerBlobCache({ root: cacheRoot, onProgress: (l) => lines.push(l) });
    const b = await createBuilder({ config: builderToml, output: `oci:${join(root, "lc2")}:v1`, layerCache: second });
    expect(lines.filter((l) => l.startsWith("Reusing compressed layer"))).toHaveLength(2);
    expect(second.stats).toEqual({ reused: 2, stored: 0, discarded: 0 });
    expect(a.digest).toBe(digest);
    expect(b.digest).toBe(digest);
    await rm(cacheRoot, { recursive: true, force: true });
  });

  test("pushes to a registry; a second push finds every blob there", async () => {
    const ref = `${registry.host}/acme/builder:1`;
    const first = await createBuilder({ config: builderToml, output: ref });
    expect(first.digest).toBe(digest);
    expect(first.uploaded).toBeGreaterThan(0);
    const second = await createBuilder({ config: builderToml, output: ref });
    expect(second.uploaded).toBe(0);
    const info = await skopeoInspect(`docker://${ref}`, ["--tls-verify=false"]);
    expect(info.Digest).toBe(digest);
    expect(JSON.parse(info.Labels[BUILDER_METADATA_LABEL] ?? "{}").createdBy.name).toBe("cnbkit");
  });
});

describe("createBuilder: publishing and lifecycle sources", () => {
  test("a published builder pushes its local-layout run image beside it and names it by its registry name", async () => {
    const cfg = join(root, "cfg", "publish.toml");
    await writeTestBaseImage(join(root, "cfg", "base"), "run");
    const text = prepackagedToml().replace(
      /\[run\][\s\S]*?(?=\[lifecycle\])/,
      `[run]\n[[run.images]]\nimage = "oci:base:run"\nmirrors = ["oci:base:run", "mirror.example.com/acme/run:1"]\n\n`,
    );
    await writeFile(cfg, text);
    const ref = `${registry.host}/acme/published:7`;
    const clients = new Map();
    const result = await createBuilder({ config: cfg, output: ref, store: { clients } });
    const runRef = `${registry.host}/acme/published-run:7`;
    expect(result.runImages).toEqual([{ image: runRef, mirrors: ["mirror.example.com/acme/run:1"] }]);
    const info = await skopeoInspect(`docker://${ref}`, ["--tls-verify=false"]);
    const meta = JSON.parse(info.Labels[BUILDER_METADATA_LABEL] ?? "{}");
    expect(meta.images).toEqual([{ image: runRef, mirrors: ["mirror.example.com/acme/run:1"] }]);
    expect(meta.stack.runImage.image).toBe(runRef);
    expect(JSON.stringify(meta)).not.toContain("oci:");
    // The run image is there, and the builder's copy of the base layer (the same blob) was
    // mounted from its repository, not uploaded again.
    const run = await skopeoInspect(`docker://${runRef}`, ["--tls-verify=false"]);
    expect(run.Labels["io.buildpacks.base.id"]).toBe("test.base");
    expect(clients.get(registry.host).stats.mounts).toBeGreaterThanOrEqual(1);
  });

  test("a lifecycle release tarball (lifecycle.toml at the top, binaries in lifecycle/), unpacked, or downloaded and checked against its sha256, is accepted", async () => {
    const rel = join(root, "release");
    await rm(rel, { recursive: true, force: true });
    await cp(lifecycleDir(), join(rel, "lifecycle"), { recursive: true, verbatimSymlinks: true });
    await rm(join(rel, "lifecycle", "lifecycle.toml"));
    await cp(join(lifecycleDir(), "lifecycle.toml"), join(rel, "lifecycle.toml"));
    const tgz = join(root, "lifecycle-v0.21.17+linux.x86-64.tgz");
    execFileSync("tar", ["-czf", tgz, "-C", rel, "lifecycle.toml", "lifecycle"]);
    for (const uri of [`file://${tgz}`, tgz, rel]) {
      const cfg = join(root, "cfg", "release.toml");
      await writeFile(cfg, prepackagedToml().replace(`uri = "${lifecycleDir()}"`, `uri = "${uri}"`));
      const result = await createBuilder({ config: cfg, output: `oci:${join(root, "release-out")}:latest` });
      // The same files as the flat Go-built folder: the same builder.
      expect(result.digest).toBe(digest);
    }
    // Downloaded (here from a loopback server), checked against [lifecycle].sha256.
    const sha = createHash("sha256")
      .update(await readFile(tgz))
      .digest("hex");
    const server = http.createServer((req, res) => {
      if (req.url !== "/lifecycle.tgz") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/gzip" });
      createReadStream(tgz).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lifecycle.tgz`;
      const cfg = join(root, "cfg", "download.toml");
      const withSha = (sum: string) =>
        prepackagedToml().replace(`uri = "${lifecycleDir()}"`, `uri = "${url}"\nsha256 = "${sum}"`);
      await writeFile(cfg, withSha(sha));
      const saved = process.env.CNBKIT_CACHE;
      process.env.CNBKIT_CACHE = join(root, "download-cache");
      try {
        const result = await createBuilder({ config: cfg, output: `oci:${join(root, "download-out")}:latest` });
        expect(result.digest).toBe(digest);
        await writeFile(cfg, withSha("0".repeat(64)));
        const err = await createBuilder({ config: cfg, output: `oci:${join(root, "download-bad")}:latest` }).catch(
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(CnbError);
        expect((err as Error).message).toMatch(/\[lifecycle\]\.uri .*sha256/);
        expect((err as Error).message).not.toContain("\n");
      } finally {
        if (saved === undefined) delete process.env.CNBKIT_CACHE;
        else process.env.CNBKIT_CACHE = saved;
      }
    } finally {
      server.close();
    }
  });
});

describe("createBuilder: bad input", () => {
  const pushed = () => `${registry.host}/acme/shell-b:2.0.0`;
  // The compiled buildpack as packaged once in beforeAll, so each case does not compile it again.
  const prepackaged = (text: string) => text.replace('uri = "./compiled"', 'uri = "./compiled.oci"');
  const cases: { name: string; toml: () => Promise<string>; message: RegExp }[] = [
    {
      name: "an order id not among [[buildpacks]]",
      toml: async () =>
        builderTomlText({
          base: "oci:base:build",
          pushed: pushed(),
          order: '[[order]]\n[[order.group]]\nid = "acme/shell-a"\n[[order.group]]\nid = "acme/java"\n',
        }),
      message: /builder\.toml: \[\[order\]\]\[0\]\.group\[1\] id "acme\/java" is not among \[\[buildpacks\]\]$/,
    },
    {
      name: "a missing buildpack uri",
      toml: async () =>
        builderTomlText({ base: "oci:base:build", pushed: pushed() }).replace("./shell-a.cnb", "./nope.cnb"),
      message: /builder\.toml: \[\[buildpacks\]\]\[1\]: uri "\.\/nope\.cnb" does not exist/,
    },
    {
      name: "an id that does not match the buildpack",
      toml: async () =>
        builderTomlText({ base: "oci:base:build", pushed: pushed() }).replace(
          'id = "acme/compiled"\nversion',
          'id = "acme/other"\nversion',
        ),
      message:
        /builder\.toml: \[\[buildpacks\]\]\[0\]\.id "acme\/other" does not match \.\/compiled\.oci, which is "acme\/compiled"$/,
    },
    {
      name: "a version that does not match the buildpack",
      toml: async () =>
        builderTomlText({ base: "oci:base:build", pushed: pushed() }).replace(
          'version = "1.0.0"\nuri',
          'version = "9.9.9"\nuri',
        ),
      message:
        /builder\.toml: \[\[buildpacks\]\]\[0\]\.version "9\.9\.9" does not match \.\/compiled\.oci, which is acme\/compiled 1\.0\.0$/,
    },
    {
      name: "an unknown target",
      toml: async () =>
        builderTomlText({
          base: "oci:base:build",
          pushed: pushed(),
          extra: '\n[[targets]]\nos = "linux"\narch = "sparc"\n',
        }),
      message: /builder\.toml: \[\[targets\]\]\[0\]: target "linux\/sparc": unknown arch "sparc"$/,
    },
    {
      name: "a [system] buildpack not among [[buildpacks]]",
      toml: async () =>
        builderTomlText({
          base: "oci:base:build",
          pushed: pushed(),
          extra: '\n[[system.pre.buildpacks]]\nid = "acme/nope"\n',
        }),
      message: /builder\.toml: \[\[system\.pre\.buildpacks\]\]\[0\] id "acme\/nope" is not among \[\[buildpacks\]\]$/,
    },
    {
      name: "an unknown key in [system]",
      toml: async () =>
        builderTomlText({
          base: "oci:base:build",
          pushed: pushed(),
          extra: '\n[[system.before.buildpacks]]\nid = "acme/shell-a"\n',
        }),
      message: /builder\.toml: \[system\] has unknown key "before"; it takes pre and post$/,
    },
    {
      name: "malformed TOML",
      toml: async () => "[[buildpacks]\nuri = ",
      message: /builder\.toml:1:\d+: invalid TOML/,
    },
    {
      name: "a base image without CNB_USER_ID",
      toml: async () => {
        await writeTestBaseImage(join(root, "cfg", "base"), "noenv", { env: ["PATH=/bin"] });
        return builderTomlText({ base: "oci:base:noenv", pushed: pushed() });
      },
      message:
        /\[build\]\.image "oci:base:noenv" has no CNB_USER_ID in its env; a CNB build image must name its non-root user$/,
    },
    {
      name: "a base image whose user is root",
      toml: async () => {
        await writeTestBaseImage(join(root, "cfg", "base"), "root", { user: "root" });
        return builderTomlText({ base: "oci:base:root", pushed: pushed() });
      },
      message:
        /\[build\]\.image "oci:base:root" runs as root \(User "root", CNB_USER_ID=1000\); a builder must run as a non-root user$/,
    },
  ];
  test.each(cases)("$name: one line, no output", async ({ toml, message }) => {
    // Beside the good config, so relative uris point at the same fixtures.
    const cfg = join(root, "cfg", "bad.toml");
    await writeFile(cfg, prepackaged(await toml()));
    const output = join(root, `bad-out-${Math.random().toString(36).slice(2)}`);
    const err = await createBuilder({ config: cfg, output: `oci:${output}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CnbError);
    expect((err as Error).message.replace("bad.toml", "builder.toml")).toMatch(message);
    expect((err as Error).message).not.toContain("\n");
    expect(await stat(output).catch(() => undefined)).toBeUndefined();
  });
});
