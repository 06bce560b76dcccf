import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bundleEntry } from "../../../framework/src/contract/test-bundle-entry.js";
import { createWorkspace, runPhase } from "../../../test/support/lifecycle.js";
import { importLayoutTar } from "../oci/index.js";
import { BUILDPACKAGE_METADATA_LABEL, EXTENSION_LAYERS_LABEL, packageExtension } from "./index.js";
import { skopeoInspect, umociUnpack, writeShellBuildpack } from "./test-fixtures.js";

let root: string;
let ext: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-package-ext-"));
  ext = join(root, "ext");
  await mkdir(join(ext, "bin"), { recursive: true });
  await writeFile(
    join(ext, "extension.toml"),
    'api = "0.10"\n[extension]\nid = "acme/curl"\nversion = "2.1.0"\nname = "Curl"\nhomepage = "https://example.com/curl"\n',
  );
  await writeFile(
    join(ext, "bin", "generate"),
    '#!/bin/sh\necho "FROM example.com/run:2" > "$CNB_OUTPUT_DIR/run.Dockerfile"\n',
  );
  await chmod(join(ext, "bin", "generate"), 0o700);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test("a prebuilt extension packages into a .cnb with pack's labels and one layer at /cnb/extensions/<id_>/<version>", async () => {
  const file = join(root, "out", "curl.cnb");
  const r = await packageExtension({ dir: ext, format: "file", output: file, targets: ["linux/amd64"] });
  expect(r).toMatchObject({ id: "acme/curl", version: "2.1.0", targets: ["linux/amd64"] });
  const layout = join(root, "layout");
  await importLayoutTar(file, layout);
  const info = await skopeoInspect(`oci:${layout}:latest`);
  expect(info.Architecture).toBe("amd64");
  expect(JSON.parse(info.Labels[BUILDPACKAGE_METADATA_LABEL] ?? "")).toEqual({
    id: "acme/curl",
    name: "Curl",
    version: "2.1.0",
    homepage: "https://example.com/curl",
    stacks: null,
  });
  const layers = JSON.parse(info.Labels[EXTENSION_LAYERS_LABEL] ?? "");
  expect(Object.keys(layers)).toEqual(["acme/curl"]);
  expect(layers["acme/curl"]["2.1.0"]).toEqual({ api: "0.10", layerDiffID: expect.stringMatching(/^sha256:/) });
  expect(info.Layers).toHaveLength(1);
  const rootfs = await umociUnpack(layout, "latest", join(root, "bundle"));
  expect((await stat(join(rootfs, "cnb/extensions/acme_curl/2.1.0/bin/generate"))).mode & 0o777).toBe(0o755);
  expect((await stat(join(rootfs, "cnb/extensions/acme_curl/2.1.0/extension.toml"))).isFile()).toBe(true);
});

test("several targets as --format file: one .cnb per target, named as pack names them, each for its arch", async () => {
  const r = await packageExtension({
    dir: ext,
    format: "file",
    output: join(root, "multi", "curl.cnb"),
    targets: ["linux/amd64", "linux/arm64"],
  });
  expect(r.files).toEqual([join(root, "multi", "curl-linux-amd64.cnb"), join(root, "multi", "curl-linux-arm64.cnb")]);
  const arm = join(root, "arm-layout");
  await importLayoutTar(r.files?.[1] as string, arm);
  const info = await skopeoInspect(`oci:${arm}:latest`);
  expect(info.Architecture).toBe("arm64");
  expect(Object.keys(JSON.parse(info.Labels[EXTENSION_LAYERS_LABEL] ?? ""))).toEqual(["acme/curl"]);
});

test("an extension dir without bin/generate or src/index.ts is one line", async () => {
  const bare = join(root, "bare");
  await mkdir(bare);
  await writeFile(join(bare, "extension.toml"), 'api = "0.10"\n[extension]\nid = "acme/bare"\nversion = "1.0.0"\n');
  await expect(
    packageExtension({ dir: bare, format: "file", output: join(root, "bare.cnb"), targets: ["linux/amd64"] }),
  ).rejects.toThrow(`${bare}: an extension needs bin/generate, or src/index.ts that calls extension({ generate })`);
});

test("a framework extension, packaged, runs under the lifecycle's detector: its [[or]] alternative lets it run with nothing required, and its Dockerfile lands in generated/", async () => {
  // Bundled as one CJS file on the host's node (quick), not compiled standalone (a ~115 MB
  // executable): what is under test is the framework's contract with the lifecycle.
  const dir = join(root, "fw-ext");
  await mkdir(join(dir, "bin"), { recursive: true });
  const index = fileURLToPath(new URL("../../../framework/src/index.ts", import.meta.url));
  await writeFile(
    join(root, "fw-entry.ts"),
    `import { extension } from ${JSON.stringify(index)};
export default extension({
  detect: (ctx) => (ctx.env.BP_WANT ? ctx.pass({ provides: [{ name: "tool" }] }, {}) : ctx.fail("BP_WANT unset")),
  generate: (ctx) => ({
    buildDockerfile: "ARG base_image\\nFROM \${base_image}\\nUSER root\\nRUN apt-get install -y " + ctx.env.BP_WANT + "\\n",
  }),
});
`,
  );
  await bundleEntry(join(root, "fw-entry.ts"), dir, ["detect", "generate"]);
  await writeFile(join(dir, "extension.toml"), 'api = "0.10"\n[extension]\nid = "acme/tool"\nversion = "1.0.0"\n');
  const layout = join(root, "fw-layout");
  await packageExtension({ dir, format: "oci", output: layout });
  const rootfs = await umociUnpack(layout, "latest", join(root, "fw-bundle"));

  const ws = await createWorkspace();
  try {
    await writeShellBuildpack(join(ws.buildpacks, "acme_shell", "1.0.0"), { id: "acme/shell", version: "1.0.0" });
    await cp(join(rootfs, "cnb", "extensions"), join(ws.root, "extensions"), {
      recursive: true,
      verbatimSymlinks: true,
    });
    await writeFile(
      ws.orderPath,
      '[[order]]\n[[order.group]]\nid = "acme/shell"\nversion = "1.0.0"\n\n[[order-extensions]]\n[[order-extensions.group]]\nid = "acme/tool"\nversion = "1.0.0"\n',
    );
    await writeFile(join(ws.root, "run.toml"), '[[images]]\nimage = "example.com/acme/run:latest"\n');
    await writeFile(join(ws.layers, "analyzed.toml"), '[run-image]\n  reference = "example.com/acme/run:latest"\n');
    await writeFile(join(ws.platform, "env", "BP_WANT"), "jq");
    const d = await runPhase(ws, "detect", [
      ...["-app", ws.app, "-buildpacks", ws.buildpacks, "-extensions", join(ws.root, "extensions")],
      ...["-order", ws.orderPath, "-layers", ws.layers, "-platform", ws.platform],
      ...["-run", join(ws.root, "run.toml"), "-generated", join(ws.layers, "generated")],
    ]);
    expect(d.code, d.output).toBe(0);
    expect(d.output).toContain("acme/tool 1.0.0");
    const dockerfile = await readFile(join(ws.layers, "generated", "acme_tool", "build.Dockerfile"), "utf8");
    expect(dockerfile).toContain("RUN apt-get install -y jq\n");
  } finally {
    await ws.cleanup();
  }
});
