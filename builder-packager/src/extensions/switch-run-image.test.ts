import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { extendConfigArgs, generatedDockerfile, groupExtensions } from "./apply-build.js";
import { switchedRunImage } from "./switch-run-image.js";

let layers: string;

beforeEach(async () => {
  layers = await mkdtemp(join(tmpdir(), "cnbkit-ext-layers-"));
  await writeFile(
    join(layers, "group.toml"),
    '[[group]]\nid = "acme/node"\nversion = "1"\n\n[[group-extensions]]\nid = "acme/a"\nversion = "1"\n\n[[group-extensions]]\nid = "acme/b"\nversion = "2"\n',
  );
});

afterEach(async () => {
  await rm(layers, { recursive: true, force: true });
});

async function generated(id: string, name: string, text: string): Promise<void> {
  await mkdir(join(layers, "generated", id), { recursive: true });
  await writeFile(join(layers, "generated", id, name), text);
}

test("the group's extensions in order; their generated files where Platform API 0.13+ puts them", async () => {
  expect(await groupExtensions(layers)).toEqual([
    { id: "acme/a", version: "1" },
    { id: "acme/b", version: "2" },
  ]);
  await generated("acme_a", "build.Dockerfile", "FROM $base_image\nRUN true\n");
  await generated("acme_a", "extend-config.toml", '[[build.args]]\nname = "pkg"\nvalue = "jq"\n');
  expect((await generatedDockerfile(layers, "acme/a", "build"))?.steps).toEqual([
    { kind: "run", command: "true", user: "" },
  ]);
  expect(await generatedDockerfile(layers, "acme/b", "build")).toBeUndefined();
  expect(await extendConfigArgs(layers, "acme/a", "build")).toEqual({ pkg: "jq" });
});

test("the last run.Dockerfile FROM <image> switches the run image; the current one is no switch", async () => {
  expect(await switchedRunImage(layers, "example.com/run:1")).toBeUndefined();
  await generated("acme_a", "run.Dockerfile", "FROM example.com/run:2\n");
  await generated("acme_b", "run.Dockerfile", "FROM example.com/run:3\n");
  expect(await switchedRunImage(layers, "example.com/run:1")).toEqual({
    image: "example.com/run:3",
    extension: "acme/b",
  });
  expect(await switchedRunImage(layers, "example.com/run:3")).toBeUndefined();
});
