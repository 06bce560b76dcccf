/**
 * From single-executable buildpacks to the shared Node runtime: an app built with a builder
 * of `--standalone` buildpacks (each embedding Node, as every cnbkit buildpack did before)
 * is rebuilt with the reference builder (shared runtime) from the same cache and previous
 * image, and the old image is rebased. The layers the old buildpacks made are reused, with
 * the reason logged, and every image answers HTTP.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { createBuilder } from "../../builder-packager/src/builder/index.js";
import { openImageSource } from "../../builder-packager/src/oci/image-store.js";
import { packageBuildpack } from "../../builder-packager/src/package/index.js";
import { type Binding, buildApp } from "../../builder-packager/src/platform/index.js";
import { rebaseImage } from "../../builder-packager/src/platform/rebase.js";
import { patchedRunImage } from "../../builder-packager/src/platform/test-fixtures.js";
import { BASE_LAYOUT, caBindings, E2E_DIR, fixtureApp, getFromImage, referenceBuilder, ROOT } from "./support.js";

const HELLO_ANSWER = /^200 Hello from node-hello on Node v24\.21\.0, up \d+ (ms|seconds?)\n$/;

let work = "";
let app = "";
let oldBuilder = "";
let newBuilder = "";
let bindings: Binding[] = [];

beforeAll(async () => {
  newBuilder = await referenceBuilder();
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-upgrade-"));
  app = await fixtureApp("node-hello", {}, join(ROOT, "examples/apps/node-hello"));
  // The old builder: the same local nodejs buildpack and procfile, packaged standalone.
  const local = join(E2E_DIR, "reference-local");
  const nodejs = join(work, "nodejs.cnb");
  const procfile = join(work, "procfile.cnb");
  const ca = join(work, "ca-certificates.cnb");
  const common = { format: "file" as const, targets: ["linux/amd64"], standalone: true };
  await packageBuildpack({ ...common, dir: join(local, "nodejs"), output: nodejs, offline: true });
  await packageBuildpack({ ...common, dir: join(ROOT, "buildpacks/procfile"), output: procfile });
  // This machine reaches npm through a proxy with its own CA: builds trust it via the binding.
  await packageBuildpack({ ...common, dir: join(ROOT, "buildpacks/ca-certificates"), output: ca });
  bindings = await caBindings();
  const reference = parseToml(await readFile(join(local, "builder.toml"), "utf8"), "builder.toml");
  const config: TomlTable = {
    ...reference,
    buildpacks: [{ uri: ca }, { uri: nodejs }, { uri: procfile }],
    order: [
      {
        group: [
          { id: "cnbkit/ca-certificates", optional: true },
          { id: "cnbkit/nodejs" },
          { id: "cnbkit/procfile", optional: true },
        ],
      },
    ],
    build: { ...(reference.build as TomlTable), image: `oci:${BASE_LAYOUT}:build` },
    run: { images: [{ image: `oci:${BASE_LAYOUT}:run` }] },
  };
  await writeFile(join(work, "builder.toml"), stringifyToml(config));
  oldBuilder = `oci:${join(work, "old-builder")}:latest`;
  await createBuilder({ config: join(work, "builder.toml"), output: oldBuilder });
}, 900_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
});

describe.sequential("standalone buildpacks -> shared runtime", () => {
  const image = () => `oci:${join(work, "app")}:latest`;
  const build = async (builder: string) => {
    const lines: string[] = [];
    const cacheDir = join(work, "cache");
    const onOutput = (l: string) => lines.push(l);
    const r = await buildApp({ appDir: app, builder, output: image(), cacheDir, bindings, onOutput });
    return { text: lines.join("\n"), digest: r.digest };
  };

  test("the old builder's buildpacks embed Node: its layers label has no runtime buildpack; the new one's has", async () => {
    const img = await (await openImageSource(oldBuilder)).image();
    const label = JSON.parse(img.config.config?.Labels?.["io.buildpacks.buildpack.layers"] ?? "{}");
    expect(Object.keys(label).sort()).toEqual(["cnbkit/ca-certificates", "cnbkit/nodejs", "cnbkit/procfile"]);
    const newImg = await (await openImageSource(newBuilder)).image();
    const newLabel = JSON.parse(newImg.config.config?.Labels?.["io.buildpacks.buildpack.layers"] ?? "{}");
    expect(Object.keys(newLabel)).toContain("cnbkit/node-runtime");
  });

  let old = { text: "", digest: "" };
  test("an app built with the old builder answers", async () => {
    old = await build(oldBuilder);
    expect(old.text).toMatch(/Running npm ci$/m);
    expect(await getFromImage(image())).toMatch(HELLO_ANSWER);
  }, 600_000);

  test("its image rebases onto a patched run image and still answers", async () => {
    const runDir = join(work, "run2");
    await patchedRunImage(`oci:${BASE_LAYOUT}:run`, runDir, { path: "etc/cnbkit-patched", data: "yes\n" });
    const r = await rebaseImage({ image: image(), runImage: `oci:${runDir}:patched` });
    expect(r.digest).not.toBe(old.digest);
    expect(await getFromImage(image())).toMatch(HELLO_ANSWER);
  }, 600_000);

  test("rebuilt with the shared-runtime builder, it reuses the old buildpacks' layers and says why", async () => {
    const next = await build(newBuilder);
    for (const layer of ["node", "launch_modules"]) {
      expect(next.text).toMatch(new RegExp(`Reusing ${layer} \\(key unchanged\\)`));
      expect(next.text).toMatch(new RegExp(`Reusing layer 'cnbkit/nodejs:${layer}'`));
    }
    expect(next.text).not.toMatch(/Running npm ci/);
    expect(await getFromImage(image())).toMatch(HELLO_ANSWER);
  }, 600_000);
});
