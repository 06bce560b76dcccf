import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { lstat, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import http from "node:http";
import type net from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tempDirPerFile } from "../../../test/support/temp-dir.js";
import { CnbError } from "@cnbkit/framework";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { startRegistry, type TestRegistry } from "../oci/test-registry.js";
import { copyImage, exportLayoutTar, hostPlatform, OciLayout, openImageSink, openImageSource } from "../oci/index.js";
import { BUILDPACK_LAYERS_LABEL, BUILDPACKAGE_METADATA_LABEL, openComponent, packageBuildpack } from "./index.js";
import {
  skopeoConfig,
  skopeoInspect,
  umociUnpack,
  writeCompiledBuildpack,
  writeShellBuildpack,
} from "./test-fixtures.js";

const run = promisify(execFile);
let root: string;

tempDirPerFile("package", (d) => {
  root = d;
});

const sha256File = async (p: string) =>
  createHash("sha256")
    .update(await readFile(p))
    .digest("hex");

describe("packageBuildpack: one prebuilt buildpack", () => {
  test("an OCI layout that skopeo reads, with pack's labels, and a layer umoci unpacks with pack's modes", async () => {
    const bp = await writeShellBuildpack(join(root, "a", "hello"), { id: "acme/hello", version: "1.0.0" });
    const out = join(root, "a", "out");
    const result = await packageBuildpack({ dir: bp, format: "oci", output: out });
    expect(result.targets).toEqual(["linux/amd64"]);

    const info = await skopeoInspect(`oci:${out}:latest`);
    expect(info.Architecture).toBe("amd64");
    expect(info.Os).toBe("linux");
    expect(info.Layers).toHaveLength(1);
    expect(info.Digest).toBe(result.digest);
    // The exact bytes pack writes: Go field order, omitempty, HTML-safe escapes.
    expect(info.Labels[BUILDPACKAGE_METADATA_LABEL]).toBe(
      '{"id":"acme/hello","name":"acme/hello shell","version":"1.0.0","homepage":"https://example.com/acme/hello?a=1\\u0026b=\\u003c2\\u003e","stacks":[{"id":"*"}]}',
    );
    const config = await skopeoConfig(`oci:${out}:latest`);
    const diffId = config.rootfs.diff_ids[0];
    expect(info.Labels[BUILDPACK_LAYERS_LABEL]).toBe(
      `{"acme/hello":{"1.0.0":{"api":"0.10","targets":[{"os":"linux","arch":"amd64"}],"layerDiffID":"${diffId}","homepage":"https://example.com/acme/hello?a=1\\u0026b=\\u003c2\\u003e","name":"acme/hello shell"}}}`,
    );

    const rootfs = await umociUnpack(out, "latest", join(root, "a", "bundle"));
    const base = join(rootfs, "cnb", "buildpacks", "acme_hello", "1.0.0");
    const mode = async (p: string) => (await stat(p)).mode & 0o7777;
    expect(await mode(join(rootfs, "cnb"))).toBe(0o755);
    expect(await mode(join(rootfs, "cnb", "buildpacks", "acme_hello"))).toBe(0o755);
    expect(await mode(join(base, "bin"))).toBe(0o755);
    expect(await mode(join(base, "bin", "detect"))).toBe(0o755);
    expect(await mode(join(base, "bin", "build"))).toBe(0o755);
    expect(await mode(join(base, "README.md"))).toBe(0o644);
    expect(await mode(join(base, "buildpack.toml"))).toBe(0o644);
    for (const p of [base, join(base, "bin", "build"), join(base, "buildpack.toml")]) {
      const st = await stat(p);
      expect([st.uid, st.gid]).toEqual([0, 0]);
    }
    expect(await readFile(join(base, "bin", "detect"), "utf8")).toContain("exit 0");
  });

  test("the same input from different paths at different times gives byte-identical .cnb files and digests", async () => {
    const a = await writeShellBuildpack(join(root, "r1", "x", "bp"), { id: "acme/same", version: "2.0.0" });
    const first = await packageBuildpack({ dir: a, format: "file", output: join(root, "r1", "one.cnb") });
    await new Promise((r) => setTimeout(r, 1100));
    const b = await writeShellBuildpack(join(root, "r2", "deeper", "path", "bp"), {
      id: "acme/same",
      version: "2.0.0",
    });
    const second = await packageBuildpack({ dir: b, format: "file", output: join(root, "r2", "two.cnb") });
    expect(second.digest).toBe(first.digest);
    expect(await sha256File(join(root, "r2", "two.cnb"))).toBe(await sha256File(join(root, "r1", "one.cnb")));
    // skopeo reads the .cnb as an OCI archive (what pack writes for --format file).
    const info = await skopeoInspect(`oci-archive:${join(root, "r1", "one.cnb")}`);
    expect(JSON.parse(info.Labels[BUILDPACKAGE_METADATA_LABEL] ?? "{}").id).toBe("acme/same");
  });

  test("--format dir gives the directory the lifecycle runs, replacing an older one whole", async () => {
    const bp = await writeShellBuildpack(join(root, "d", "bp"), { id: "acme/dir", version: "0.1.0" });
    const out = join(root, "d", "out");
    await packageBuildpack({ dir: bp, format: "dir", output: out });
    await packageBuildpack({ dir: bp, format: "dir", output: out });
    expect((await readdir(out)).sort()).toEqual(["README.md", "bin", "buildpack.toml"]);
    expect((await stat(join(out, "bin", "detect"))).mode & 0o111).not.toBe(0);
    expect((await readdir(join(root, "d"))).sort()).toEqual(["bp", "out"]);
  });

  test("several targets make an image index with one image per platform", async () => {
    const bp = await writeShellBuildpack(join(root, "m", "bp"), {
      id: "acme/multi",
      version: "1.0.0",
      extraToml: '\n[[targets]]\nos = "linux"\narch = "arm64"\n',
    });
    const out = join(root, "m", "out");
    const result = await packageBuildpack({
      dir: bp,
      format: "oci",
      output: out,
      targets: ["linux/amd64,linux/arm64"],
    });
    expect(result.targets).toEqual(["linux/amd64", "linux/arm64"]);
    const { stdout } = await run("skopeo", ["inspect", "--raw", `oci:${out}:latest`]);
    const index = JSON.parse(stdout);
    expect(index.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture)).toEqual([
      "amd64",
      "arm64",
    ]);
    const arm = await skopeoConfig(`oci:${out}:latest`, ["--override-arch", "arm64"]);
    expect(arm.architecture).toBe("arm64");
  });

  test("without --target, one line names the declared targets left out and the flag that packages them", async () => {
    const bp = await writeShellBuildpack(join(root, "lo", "bp"), {
      id: "acme/left-out",
      version: "1.0.0",
      extraToml: '\n[[targets]]\nos = "linux"\narch = "arm64"\n',
    });
    const lines: string[] = [];
    const result = await packageBuildpack({
      dir: bp,
      format: "oci",
      output: join(root, "lo", "out"),
      onProgress: (l) => lines.push(l),
    });
    const host = `linux/${hostPlatform().architecture}`;
    const other = host === "linux/amd64" ? "linux/arm64" : "linux/amd64";
    expect(result.targets).toEqual([host]);
    expect(lines.filter((l) => l.includes("[[targets]]"))).toEqual([
      `Packaging ${host} only (this machine's); [[targets]] also lists ${other}: add --target ${other}, or --target ${host},${other} for all`,
    ]);
    const asked: string[] = [];
    await packageBuildpack({
      dir: bp,
      format: "oci",
      output: join(root, "lo", "out2"),
      targets: [host],
      onProgress: (l) => asked.push(l),
    });
    expect(asked.filter((l) => l.includes("[[targets]]"))).toEqual([]);
  });
});

describe("packageBuildpack: what pack reads", () => {
  test("--format file with two targets writes one .cnb per target, named as pack names them", async () => {
    const bp = await writeShellBuildpack(join(root, "f2", "bp"), {
      id: "acme/two",
      version: "1.0.0",
      extraToml: '\n[[targets]]\nos = "linux"\narch = "arm64"\n',
    });
    const output = join(root, "f2", "out", "two.cnb");
    const result = await packageBuildpack({ dir: bp, format: "file", output, targets: ["linux/amd64,linux/arm64"] });
    const amd = join(root, "f2", "out", "two-linux-amd64.cnb");
    const arm = join(root, "f2", "out", "two-linux-arm64.cnb");
    expect(result.files).toEqual([amd, arm]);
    expect((await readdir(join(root, "f2", "out"))).sort()).toEqual(["two-linux-amd64.cnb", "two-linux-arm64.cnb"]);
    for (const [file, arch] of [
      [amd, "amd64"],
      [arm, "arm64"],
    ] as const) {
      // index.json names the image's manifest itself, not a nested index (pack finds no manifest in that).
      const { stdout } = await run("tar", ["-xOf", file, "index.json"]);
      const index = JSON.parse(stdout);
      expect(index.manifests).toHaveLength(1);
      expect(index.manifests[0].mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
      const info = await skopeoInspect(`oci-archive:${file}`);
      expect(info.Architecture).toBe(arch);
      expect(JSON.parse(info.Labels[BUILDPACKAGE_METADATA_LABEL] ?? "{}").id).toBe("acme/two");
    }
  });

  test("a .cnb that nests an image index in its index.json (cnbkit's older shape) is still read as a component", async () => {
    const layout = await OciLayout.create(join(root, "nested", "layout"));
    const a = await writeShellBuildpack(join(root, "nested", "bp"), {
      id: "acme/nested",
      version: "1.0.0",
      extraToml: '\n[[targets]]\nos = "linux"\narch = "arm64"\n',
    });
    await packageBuildpack({
      dir: a,
      format: "oci",
      output: join(root, "nested", "oci"),
      targets: ["linux/amd64,linux/arm64"],
    });
    const src = await OciLayout.open(join(root, "nested", "oci"));
    const top = await src.descriptor("latest");
    await copyImage(await openImageSource(`oci:${src.dir}:latest`), await openImageSink(`oci:${layout.dir}:latest`));
    expect((await layout.descriptor("latest")).digest).toBe(top.digest);
    await exportLayoutTar(layout.dir, join(root, "nested", "old.cnb"));
    const component = await openComponent({ uri: "old.cnb" }, "test", {
      baseDir: join(root, "nested"),
      workDir: join(root, "nested", "work"),
      targets: ["linux/arm64"],
      packageDir: async () => {},
    });
    const image = await component.forPlatform({ os: "linux", architecture: "arm64" });
    expect(image.main.id).toBe("acme/nested");
    expect(image.config.architecture).toBe("arm64");
  });

  test("a uri naming x.cnb reads the x-<os>-<arch>.cnb files that several targets gave, one per platform", async () => {
    const bp = await writeShellBuildpack(join(root, "pt", "bp"), {
      id: "acme/pertarget",
      version: "1.0.0",
      extraToml: '\n[[targets]]\nos = "linux"\narch = "arm64"\n',
    });
    await packageBuildpack({
      dir: bp,
      format: "file",
      output: join(root, "pt", "pertarget.cnb"),
      targets: ["linux/amd64,linux/arm64"],
    });
    const component = await openComponent({ uri: "pertarget.cnb" }, "test", {
      baseDir: join(root, "pt"),
      workDir: join(root, "pt", "work"),
      targets: ["linux/amd64", "linux/arm64"],
      packageDir: async () => {},
    });
    for (const architecture of ["amd64", "arm64"]) {
      const image = await component.forPlatform({ os: "linux", architecture });
      expect(image.main.id).toBe("acme/pertarget");
      expect(image.config.architecture).toBe(architecture);
    }
    await expect(component.forPlatform({ os: "linux", architecture: "s390x" })).rejects.toThrow(
      /uri "pertarget\.cnb" has no file for linux\/s390x \(found linux\/amd64, linux\/arm64\)$/,
    );
  });

  test("a compiled buildpack claims only the target it was built for, in the dir's buildpack.toml and in the layers label", async () => {
    const bp = await writeCompiledBuildpack(join(root, "narrow", "bp"), { id: "acme/narrow", version: "1.0.0" });
    const dir = join(root, "narrow", "dir");
    await packageBuildpack({ dir: bp, format: "dir", output: dir, targets: ["linux/amd64"] });
    const toml = parseToml(await readFile(join(dir, "buildpack.toml"), "utf8"), "buildpack.toml");
    expect(toml.targets).toEqual([{ os: "linux", arch: "amd64" }]);
    expect((toml.buildpack as { id: string }).id).toBe("acme/narrow");
    const oci = join(root, "narrow", "oci");
    await packageBuildpack({ dir: bp, format: "oci", output: oci, targets: ["linux/amd64"] });
    const info = await skopeoInspect(`oci:${oci}:latest`);
    const layers = JSON.parse(info.Labels[BUILDPACK_LAYERS_LABEL] ?? "{}");
    expect(layers["acme/narrow"]["1.0.0"].targets).toEqual([{ os: "linux", arch: "amd64" }]);
  });

  test("licenses in the buildpackage label are written as pack's Go struct writes them (Type, URI)", async () => {
    const bp = await writeShellBuildpack(join(root, "lic", "bp"), { id: "acme/lic", version: "1.0.0" });
    const toml = await readFile(join(bp, "buildpack.toml"), "utf8");
    await writeFile(
      join(bp, "buildpack.toml"),
      toml.replace("\n\n[[targets]]", '\n\n[[buildpack.licenses]]\ntype = "MIT"\n\n[[targets]]'),
    );
    await packageBuildpack({ dir: bp, format: "oci", output: join(root, "lic", "out") });
    const info = await skopeoInspect(`oci:${join(root, "lic", "out")}:latest`);
    expect(info.Labels[BUILDPACKAGE_METADATA_LABEL]).toContain('"licenses":[{"Type":"MIT","URI":""}]');
  });
});

describe("packageBuildpack: compressed layer cache", () => {
  test("a second package reuses the compressed layer from $CNBKIT_CACHE; digests equal an uncached run, a broken entry is made again", async () => {
    const bp = await writeShellBuildpack(join(root, "lc", "bp"), { id: "acme/cached", version: "1.0.0" });
    await writeFile(join(bp, "data.bin"), randomBytes(2 * 1024 * 1024)); // above the cache's 1 MiB floor
    const saved = [process.env.CNBKIT_CACHE, process.env.CNBKIT_CACHE_MAX_LAYER_BLOBS];
    const cache = join(root, "lc", "cache", "layer-blobs");
    process.env.CNBKIT_CACHE = join(root, "lc", "cache");
    const pkg = async (name: string) => {
      const lines: string[] = [];
      const output = join(root, "lc", `${name}.cnb`);
      const result = await packageBuildpack({ dir: bp, format: "file", output, onProgress: (l) => lines.push(l) });
      return {
        digest: result.digest,
        cnb: await sha256File(output),
        reused: lines.filter((l) => l.startsWith("Reusing compressed layer")),
        lines,
      };
    };
    const entries = async () => (await readdir(cache).catch(() => [] as string[])).filter((x) => !x.startsWith("."));
    try {
      process.env.CNBKIT_CACHE_MAX_LAYER_BLOBS = "0";
      const off = await pkg("off");
      expect(await entries()).toEqual([]);
      delete process.env.CNBKIT_CACHE_MAX_LAYER_BLOBS;
      const first = await pkg("first");
      expect(first.reused).toEqual([]);
      expect(await entries()).toHaveLength(1);
      const second = await pkg("second");
      expect(second.reused).toEqual([
        expect.stringMatching(/^Reusing compressed layer [0-9a-f]{12} \(2\.0 MiB\) from the cache$/),
      ]);
      for (const r of [first, second]) {
        expect(r.digest).toBe(off.digest);
        expect(r.cnb).toBe(off.cnb);
      }
      await truncate(join(cache, (await entries())[0] as string, "blob"), 1000);
      const third = await pkg("third");
      expect(third.reused).toEqual([]);
      expect(third.lines).toContainEqual(
        expect.stringMatching(/^Discarding cached layer [0-9a-f]{12}: its blob is 1000 bytes/),
      );
      expect(third.cnb).toBe(off.cnb);
      expect((await pkg("fourth")).reused).toHaveLength(1);
    } finally {
      if (saved[0] === undefined) delete process.env.CNBKIT_CACHE;
      else process.env.CNBKIT_CACHE = saved[0];
      if (saved[1] === undefined) delete process.env.CNBKIT_CACHE_MAX_LAYER_BLOBS;
      else process.env.CNBKIT_CACHE_MAX_LAYER_BLOBS = saved[1];
    }
  });
});

describe("packageBuildpack: composites", () => {
  test("a composite gathers its dependencies' layers from a directory and a .cnb file, and lists them all", async () => {
    const dir = join(root, "c");
    await writeShellBuildpack(join(dir, "one"), { id: "acme/one", version: "1.0.0" });
    const two = await writeShellBuildpack(join(dir, "two-src"), { id: "acme/two", version: "2.0.0" });
    await packageBuildpack({ dir: two, format: "file", output: join(dir, "two.cnb") });
    const meta = join(dir, "meta");
    await writeShellBuildpack(meta, { id: "unused/x", version: "0.0.1" });
    await rm(join(meta, "bin"), { recursive: true });
    await rm(join(meta, "README.md"));
    await writeFile(
      join(meta, "buildpack.toml"),
      'api = "0.10"\n[buildpack]\nid = "acme/meta"\nversion = "3.0.0"\nname = "Meta"\n\n[[order]]\n[[order.group]]\nid = "acme/one"\nversion = "1.0.0"\n[[order.group]]\nid = "acme/two"\noptional = true\n',
    );
    await writeFile(
      join(meta, "package.toml"),
      '[buildpack]\nuri = "."\n\n[[dependencies]]\nuri = "../one"\n\n[[dependencies]]\nuri = "../two.cnb"\n',
    );
    const out = join(dir, "meta.cnb");
    await packageBuildpack({ dir: meta, format: "file", output: out });

    const info = await skopeoInspect(`oci-archive:${out}`);
    expect(info.Layers).toHaveLength(3);
    const layers = JSON.parse(info.Labels[BUILDPACK_LAYERS_LABEL] ?? "{}");
    expect(Object.keys(layers)).toEqual(["acme/meta", "acme/one", "acme/two"]);
    expect(layers["acme/meta"]["3.0.0"].order).toEqual([
      {
        group: [
          { id: "acme/one", version: "1.0.0" },
          { id: "acme/two", optional: true },
        ],
      },
    ]);
    expect(layers["acme/meta"]["3.0.0"].targets).toBeUndefined();
    // The dependency layer is reused as-is: same diffID as in two.cnb.
    const twoInfo = await skopeoInspect(`oci-archive:${join(dir, "two.cnb")}`);
    const twoLayers = JSON.parse(twoInfo.Labels[BUILDPACK_LAYERS_LABEL] ?? "{}");
    expect(layers["acme/two"]["2.0.0"].layerDiffID).toBe(twoLayers["acme/two"]["2.0.0"].layerDiffID);
    expect(info.Layers).toContain(twoInfo.Layers[0]);
    expect(JSON.parse(info.Labels[BUILDPACKAGE_METADATA_LABEL] ?? "{}")).toEqual({
      id: "acme/meta",
      name: "Meta",
      version: "3.0.0",
      stacks: [{ id: "*" }],
    });
  });
});

describe("packageBuildpack: --offline", () => {
  let server: http.Server;
  let port: number;
  const payload = Buffer.from("pretend this is a runtime tarball\n");
  const sha = createHash("sha256").update(payload).digest("hex");

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/dl/runtime-1.2.3.tgz") res.end(payload);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  test("downloads every dependency into the buildpack and points its uri at the file inside /cnb", async () => {
    const bp = await writeShellBuildpack(join(root, "o", "bp"), {
      id: "acme/offline",
      version: "1.0.0",
      extraToml: `\n[[metadata.dependencies]]\nid = "runtime"\nversion = "1.2.3"\nuri = "http://127.0.0.1:${port}/dl/runtime-1.2.3.tgz"\nsha256 = "${sha}"\n\n[[metadata.dependencies]]\nid = "runtime"\nversion = "1.2.3"\narch = "arm64"\nuri = "http://127.0.0.1:${port}/dl/not-for-amd64.tgz"\nsha256 = "${"0".repeat(64)}"\n`,
    });
    const out = join(root, "o", "out");
    await packageBuildpack({ dir: bp, format: "oci", output: out, offline: true });
    const rootfs = await umociUnpack(out, "latest", join(root, "o", "bundle"));
    const base = join(rootfs, "cnb", "buildpacks", "acme_offline", "1.0.0");
    expect(await readFile(join(base, "dependencies", sha, "runtime-1.2.3.tgz"))).toEqual(payload);
    const toml = parseToml(await readFile(join(base, "buildpack.toml"), "utf8"), "buildpack.toml");
    const deps = (toml.metadata as { dependencies: { uri: string }[] }).dependencies;
    expect(deps[0]?.uri).toBe(`file:///cnb/buildpacks/acme_offline/1.0.0/dependencies/${sha}/runtime-1.2.3.tgz`);
    // The arm64 entry is not for this target: left as it was, not downloaded.
    expect(deps[1]?.uri).toBe(`http://127.0.0.1:${port}/dl/not-for-amd64.tgz`);
    expect(await readdir(join(base, "dependencies"))).toEqual([sha]);
  });
});

describe("packageBuildpack: registry", () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry.stop();
  });

  test("--format image pushes an image skopeo reads back from the registry", async () => {
    const bp = await writeShellBuildpack(join(root, "i", "bp"), { id: "acme/pushed", version: "1.0.0" });
    const ref = `${registry.host}/acme/pushed:1.0.0`;
    const result = await packageBuildpack({ dir: bp, format: "image", output: ref });
    const info = await skopeoInspect(`docker://${ref}`, ["--tls-verify=false"]);
    expect(info.Digest).toBe(result.digest);
    expect(JSON.parse(info.Labels[BUILDPACKAGE_METADATA_LABEL] ?? "{}").id).toBe("acme/pushed");
  });
});

describe("packageBuildpack: bad input", () => {
  const cases: {
    name: string;
    setup: (dir: string) => Promise<void>;
    opts?: { targets?: string[] };
    message: RegExp;
  }[] = [
    {
      name: "no buildpack.toml",
      setup: async () => {},
      message: /buildpack\.toml: not found$/,
    },
    {
      name: "an unknown target",
      setup: async (d) => void (await writeShellBuildpack(d, { id: "acme/t", version: "1.0.0" })),
      opts: { targets: ["linux/mips"] },
      message: /buildpack\.toml: target "linux\/mips": unknown arch "mips"$/,
    },
    {
      name: "a target the buildpack does not declare",
      setup: async (d) => void (await writeShellBuildpack(d, { id: "acme/t", version: "1.0.0" })),
      opts: { targets: ["linux/arm64"] },
      message: /target "linux\/arm64" is not among the buildpack's \[\[targets\]\] \(linux\/amd64\)$/,
    },
    {
      name: "a composite without package.toml",
      setup: async (d) => {
        await writeShellBuildpack(d, { id: "acme/c", version: "1.0.0" });
        await writeFile(
          join(d, "buildpack.toml"),
          'api = "0.10"\n[buildpack]\nid = "acme/c"\nversion = "1.0.0"\n[[order]]\n[[order.group]]\nid = "acme/x"\n',
        );
      },
      message: /a composite buildpack needs a package\.toml beside it with \[\[dependencies\]\]$/,
    },
    {
      name: "a composite whose order names a buildpack it does not have",
      setup: async (d) => {
        await writeShellBuildpack(join(d, "..", "dep-ok"), { id: "acme/ok", version: "1.0.0" });
        await writeShellBuildpack(d, { id: "acme/c", version: "1.0.0" });
        await writeFile(
          join(d, "buildpack.toml"),
          'api = "0.10"\n[buildpack]\nid = "acme/c"\nversion = "1.0.0"\n[[order]]\n[[order.group]]\nid = "acme/ok"\n[[order.group]]\nid = "acme/java"\n',
        );
        await writeFile(join(d, "package.toml"), '[[dependencies]]\nuri = "../dep-ok"\n');
      },
      message:
        /buildpack\.toml: \[\[order\]\]\[0\]\.group\[1\] id "acme\/java" is not among package\.toml's \[\[dependencies\]\]$/,
    },
    {
      name: "a dependency uri that does not exist",
      setup: async (d) => {
        await writeShellBuildpack(d, { id: "acme/c", version: "1.0.0" });
        await writeFile(
          join(d, "buildpack.toml"),
          'api = "0.10"\n[buildpack]\nid = "acme/c"\nversion = "1.0.0"\n[[order]]\n[[order.group]]\nid = "acme/x"\n',
        );
        await writeFile(join(d, "package.toml"), '[[dependencies]]\nuri = "./nope"\n');
      },
      message: /package\.toml: \[\[dependencies\]\]\[0\]: uri "\.\/nope" does not exist/,
    },
    {
      name: "malformed package.toml",
      setup: async (d) => {
        await writeShellBuildpack(d, { id: "acme/c", version: "1.0.0" });
        await writeFile(join(d, "package.toml"), "[buildpack\nuri=");
      },
      message: /package\.toml:1:\d+: invalid TOML/,
    },
  ];
  test.each(cases)("$name: one line, nothing written", async ({ setup, opts, message }) => {
    const base = await mkdtemp(join(root, "bad-"));
    const dir = join(base, "bp");
    await setup(dir);
    const out = join(base, "out.cnb");
    const err = await packageBuildpack({ dir, format: "file", output: out, ...opts }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CnbError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("\n");
    expect(await lstat(out).catch(() => undefined)).toBeUndefined();
    expect((await readdir(base)).filter((n) => n.startsWith(".cnbkit"))).toEqual([]);
  });
});
