import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { createWorkspace, lifecycleDir, readLifecycleToml, runPhase } from "../../../test/support/lifecycle.js";
import { packageExtension } from "../package/index.js";
import { skopeoInspect, umociUnpack, writeShellBuildpack } from "../package/test-fixtures.js";
import { BUILDER_METADATA_LABEL, createBuilder, inspectBuilder } from "./index.js";
import { BUILDER_ORDER_EXTENSIONS_LABEL } from "./metadata.js";
import { EXTENSION_LAYERS_LABEL } from "./extensions.js";
import { writeTestBaseImage } from "./test-fixtures.js";

let root: string;
let out: string;
let rootfs: string;

/** An extension whose generate writes a build.Dockerfile installing `jq` and a run.Dockerfile switching the run image. */
async function writeExtension(dir: string): Promise<void> {
  await mkdir(join(dir, "bin"), { recursive: true });
  await writeFile(
    join(dir, "extension.toml"),
    'api = "0.10"\n[extension]\nid = "acme/apt"\nversion = "1.0.0"\nname = "Apt"\n',
  );
  await writeFile(join(dir, "bin", "detect"), "#!/bin/sh\nexit 0\n");
  await writeFile(
    join(dir, "bin", "generate"),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the lifecycle requires the literal `FROM ${base_image}`
    '#!/bin/sh\nset -e\nprintf "ARG base_image\\nFROM \\${base_image}\\nUSER root\\nRUN apt-get install -y jq\\n" > "$CNB_OUTPUT_DIR/build.Dockerfile"\nprintf "FROM example.com/acme/other-run:1\\n" > "$CNB_OUTPUT_DIR/run.Dockerfile"\n',
  );
  await chmod(join(dir, "bin", "detect"), 0o700);
  await chmod(join(dir, "bin", "generate"), 0o700);
}

function builderToml(extra: string): string {
  return `[[buildpacks]]
uri = "./shell"

[[order]]
[[order.group]]
id = "acme/shell"

[build]
image = "oci:base:build"

[run]
[[run.images]]
image = "example.com/acme/run:latest"

[lifecycle]
uri = "${lifecycleDir()}"
${extra}`;
}

const EXTENSIONS = `
[[extensions]]
id = "acme/apt"
uri = "./ext"

[[order-extensions]]
[[order-extensions.group]]
id = "acme/apt"
`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-builder-ext-"));
  await writeShellBuildpack(join(root, "cfg", "shell"), { id: "acme/shell", version: "1.0.0" });
  await writeExtension(join(root, "cfg", "ext"));
  await writeTestBaseImage(join(root, "cfg", "base"), "build");
  await writeFile(join(root, "cfg", "builder.toml"), builderToml(EXTENSIONS));
  out = join(root, "builder");
  const r = await createBuilder({ config: join(root, "cfg", "builder.toml"), output: `oci:${out}:latest` });
  expect(r.extensions).toEqual([{ id: "acme/apt", version: "1.0.0" }]);
  rootfs = await umociUnpack(out, "latest", join(root, "bundle"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("builder with image extensions", () => {
  test("labels list the extension and its order as pack writes them", async () => {
    const info = await skopeoInspect(`oci:${out}:latest`);
    const meta = JSON.parse(info.Labels[BUILDER_METADATA_LABEL] ?? "{}");
    expect(meta.extensions).toEqual([{ id: "acme/apt", name: "Apt", version: "1.0.0" }]);
    const layers = JSON.parse(info.Labels[EXTENSION_LAYERS_LABEL] ?? "{}");
    expect(Object.keys(layers)).toEqual(["acme/apt"]);
    expect(layers["acme/apt"]["1.0.0"]).toMatchObject({ api: "0.10", name: "Apt" });
    expect(layers["acme/apt"]["1.0.0"].layerDiffID).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.parse(info.Labels[BUILDER_ORDER_EXTENSIONS_LABEL] ?? "[]")).toEqual([
      { group: [{ id: "acme/apt", version: "1.0.0" }] },
    ]);
  });

  test("builder inspect lists the extensions and their order", async () => {
    const info = await inspectBuilder(`oci:${out}:latest`);
    expect(info.extensions).toEqual([{ id: "acme/apt", name: "Apt", version: "1.0.0" }]);
    expect(info.order_extensions).toEqual([{ group: [{ id: "acme/apt", version: "1.0.0" }] }]);
  });

  test("/cnb/extensions/<id>/<version> holds it with pack's modes; /cnb/order.toml has [[order-extensions]]", async () => {
    const dir = join(rootfs, "cnb/extensions/acme_apt/1.0.0");
    expect((await stat(join(dir, "bin/generate"))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, "extension.toml"))).mode & 0o777).toBe(0o644);
    const order = parseToml(await readFile(join(rootfs, "cnb/order.toml"), "utf8"), "order.toml");
    expect(order["order-extensions"]).toEqual([{ group: [{ id: "acme/apt", version: "1.0.0" }] }]);
  });

  test("the lifecycle's detector runs the builder's extension and writes its Dockerfiles and the new run image", async () => {
    const ws = await createWorkspace();
    try {
      await rm(ws.buildpacks, { recursive: true });
      await cp(join(rootfs, "cnb/buildpacks"), ws.buildpacks, { recursive: true, verbatimSymlinks: true });
      await cp(join(rootfs, "cnb/extensions"), join(ws.root, "extensions"), { recursive: true });
      await cp(join(rootfs, "cnb/order.toml"), ws.orderPath);
      await cp(join(rootfs, "cnb/run.toml"), join(ws.root, "run.toml"));
      await writeFile(join(ws.layers, "analyzed.toml"), '[run-image]\n  reference = "example.com/acme/run:latest"\n');
      const d = await runPhase(ws, "detect", [
        ...["-app", ws.app, "-buildpacks", ws.buildpacks, "-extensions", join(ws.root, "extensions")],
        ...["-order", ws.orderPath, "-layers", ws.layers, "-platform", ws.platform],
        ...["-run", join(ws.root, "run.toml"), "-generated", join(ws.layers, "generated")],
      ]);
      expect(d.code, d.output).toBe(0);
      // Platform API 0.13+: generated/<id_>/{build,run}.Dockerfile (not the older generated/build/<id>/Dockerfile).
      const build = await readFile(join(ws.layers, "generated/acme_apt/build.Dockerfile"), "utf8");
      expect(build).toContain("RUN apt-get install -y jq");
      const analyzed = (await readLifecycleToml(join(ws.layers, "analyzed.toml"))) as {
        "run-image": { reference: string; image: string };
      };
      expect(analyzed["run-image"].image).toBe("example.com/acme/other-run:1");
    } finally {
      await ws.cleanup();
    }
  });

  test("[[extensions]] uri may be a packaged extension (.cnb): its layer goes into the builder as it is", async () => {
    const cnb = join(root, "cfg", "apt.cnb");
    await packageExtension({ dir: join(root, "cfg", "ext"), format: "file", output: cnb });
    const cfg = join(root, "cfg", "from-cnb.toml");
    await writeFile(cfg, builderToml(EXTENSIONS.replace('uri = "./ext"', 'uri = "./apt.cnb"\nversion = "1.0.0"')));
    const fromCnb = join(root, "from-cnb");
    const r = await createBuilder({ config: cfg, output: `oci:${fromCnb}:latest` });
    expect(r.extensions).toEqual([{ id: "acme/apt", version: "1.0.0" }]);
    const packaged = JSON.parse((await skopeoInspect(`oci:${out}:latest`)).Labels[EXTENSION_LAYERS_LABEL] ?? "{}");
    const layers = JSON.parse((await skopeoInspect(`oci:${fromCnb}:latest`)).Labels[EXTENSION_LAYERS_LABEL] ?? "{}");
    // The same directory, laid out the same way: the same layer whether given as a dir or a .cnb.
    expect(layers["acme/apt"]["1.0.0"].layerDiffID).toBe(packaged["acme/apt"]["1.0.0"].layerDiffID);
    const unpacked = await umociUnpack(fromCnb, "latest", join(root, "bundle-cnb"));
    expect((await stat(join(unpacked, "cnb/extensions/acme_apt/1.0.0/bin/generate"))).mode & 0o777).toBe(0o755);
    await writeFile(cfg, builderToml(EXTENSIONS.replace('uri = "./ext"', 'uri = "./apt.cnb"\nversion = "9.9.9"')));
    await expect(createBuilder({ config: cfg, output: `oci:${join(root, "bad")}:latest` })).rejects.toThrow(
      /\[\[extensions\]\]\[0\]\.version "9\.9\.9" does not match the package's io\.buildpacks\.extension\.layers label, which is 1\.0\.0/,
    );
  });

  test("bad builder.toml: extensions without an order, or an order naming a missing extension, is one line", async () => {
    const cfg = join(root, "cfg", "bad.toml");
    await writeFile(cfg, builderToml('[[extensions]]\nuri = "./ext"\n'));
    await expect(createBuilder({ config: cfg, output: `oci:${join(root, "bad")}:latest` })).rejects.toThrow(
      /\[\[extensions\]\] are given but no \[\[order-extensions\]\]/,
    );
    await writeFile(cfg, builderToml(EXTENSIONS.replace(/group\]\]\nid = "acme\/apt"/, 'group]]\nid = "acme/nope"')));
    await expect(createBuilder({ config: cfg, output: `oci:${join(root, "bad")}:latest` })).rejects.toThrow(
      /\[\[order-extensions\]\]\[0\]\.group\[0\] id "acme\/nope" is not among \[\[extensions\]\]/,
    );
  });
});
