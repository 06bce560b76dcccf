import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { afterEach, beforeEach, expect, test } from "vitest";
import type { ImageConfig } from "../../oci/index.js";
import { layoutPathOf } from "./layout-repo.js";
import { pinRunImageReference, registryRunReference, withRegistryRunReference } from "./pin-run-image.js";

const digest = `sha256:${"a".repeat(64)}`;
let layers: string;

beforeEach(async () => {
  layers = await mkdtemp(join(tmpdir(), "cnbkit-pin-run-"));
});
afterEach(async () => {
  await rm(layers, { recursive: true, force: true });
});

test("before the exporter, a run image's layout path with a registry port is copied to one it can parse", async () => {
  const repo = join(layers, "repo");
  const path = layoutPathOf("127.0.0.1:5000/acme/run:1");
  expect(path).toBe("127.0.0.1:5000/acme/run/1");
  await mkdir(join(repo, path), { recursive: true });
  await writeFile(join(repo, path, "index.json"), "{}");
  await writeFile(
    join(layers, "analyzed.toml"),
    `[run-image]\n  reference = "/layout-repo/${path}@${digest}"\n  image = "127.0.0.1:5000/acme/run:1"\n`,
  );
  await pinRunImageReference(layers, repo, "/layout-repo");
  const doc = parseToml(await readFile(join(layers, "analyzed.toml"), "utf8"), "analyzed.toml");
  expect(doc["run-image"]).toEqual({
    reference: `/layout-repo/127.0.0.1_5000/acme/run/1@${digest}`,
    image: "127.0.0.1:5000/acme/run:1",
  });
  expect(await readFile(join(repo, "127.0.0.1_5000/acme/run/1/index.json"), "utf8")).toBe("{}");
});

test("a run image path without a port is left as the lifecycle wrote it", async () => {
  const text = `[run-image]\n  reference = "/layout-repo/cnbkit.local/run/latest@${digest}"\n`;
  await writeFile(join(layers, "analyzed.toml"), text);
  await pinRunImageReference(layers, join(layers, "repo"), "/layout-repo");
  expect(await readFile(join(layers, "analyzed.toml"), "utf8")).toBe(text);
});

test("the app image names a registry run image by its real reference, port and all, pinned or not", () => {
  // the registry's manifest digest, not the one in the path (the exporter's re-encoding)
  const run = { ref: "127.0.0.1:5000/acme/run:1", digest: `sha256:${"b".repeat(64)}` };
  for (const path of ["127.0.0.1_5000/acme/run/1", "127.0.0.1:5000/acme/run/1"]) {
    expect(registryRunReference(`/layout-repo/${path}@${digest}`, run, "/layout-repo")).toBe(
      `127.0.0.1:5000/acme/run@${run.digest}`,
    );
  }
  // a layout run image has no registry name; a reference that is no layout path stays
  const layoutRun = { ref: "oci:/x:run", digest };
  expect(registryRunReference(`/layout-repo/cnbkit.local/run/latest@${digest}`, layoutRun, "/layout-repo")).toBe(
    undefined,
  );
  expect(registryRunReference(`example.com/run@${digest}`, run, "/layout-repo")).toBe(undefined);
});

test("only runImage.reference changes in the lifecycle's label", () => {
  const label = `{"app":[{"sha":"sha256:1"}],"runImage":{"topLayer":"sha256:2","reference":"/layout-repo/127.0.0.1_5000/acme/run/1@${digest}","image":"127.0.0.1:5000/acme/run:1"},"stack":{"runImage":{"image":"127.0.0.1:5000/acme/run:1"}},"x":"\\u003c"}`;
  const config = {
    architecture: "amd64",
    os: "linux",
    config: { Labels: { "io.buildpacks.lifecycle.metadata": label, other: "1" } },
    rootfs: { type: "layers", diff_ids: [] },
  } as unknown as ImageConfig;
  const out = withRegistryRunReference(config, { ref: "127.0.0.1:5000/acme/run:1", digest }, "/layout-repo");
  expect(out?.config?.Labels?.["io.buildpacks.lifecycle.metadata"]).toBe(
    label.replace(`/layout-repo/127.0.0.1_5000/acme/run/1@`, "127.0.0.1:5000/acme/run@"),
  );
  expect(out?.config?.Labels?.other).toBe("1");
  expect(withRegistryRunReference(config, { ref: "oci:/x:run", digest }, "/layout-repo")).toBeUndefined();
});
