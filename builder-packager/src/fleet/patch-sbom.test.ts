import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { readRawTar, replaceSbomEntries, sbomPrefixes } from "./patch-sbom.js";

// SBOM layers as GNU tar writes them in ustar format (what the lifecycle's Go writer also
// emits for these short paths): /layers/sbom/launch/<bp>/<layer>/sbom.*.json.
let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-patch-sbom-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function sbomTar(name: string, files: Record<string, string>): Promise<Buffer> {
  const root = join(dir, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return execFileSync("tar", [
    "--format=ustar",
    "--sort=name",
    "--owner=1000",
    "--group=1000",
    "-cf",
    "-",
    "-C",
    root,
    "layers",
  ]);
}

const launch = "layers/sbom/launch";

test("the patched layer's documents come from the reference; every other entry is kept byte for byte, in order", async () => {
  const old = await sbomTar("old", {
    [`${launch}/buildpacksio_lifecycle/launcher/sbom.cdx.json`]: "launcher",
    [`${launch}/cnbkit_nodejs/launch_modules/sbom.cdx.json`]: "express 4",
    [`${launch}/cnbkit_nodejs/node/sbom.cdx.json`]: "node 24.20.0",
    [`${launch}/cnbkit_nodejs/node/sbom.spdx.json`]: "node 24.20.0 spdx",
    [`${launch}/cnbkit_nodejs/node_exec_d/sbom.cdx.json`]: "exec.d",
  });
  const reference = await sbomTar("ref", {
    [`${launch}/cnbkit_nodejs/launch_modules/sbom.cdx.json`]: "another app's modules",
    [`${launch}/cnbkit_nodejs/node/sbom.cdx.json`]: "node 24.21.0",
    [`${launch}/cnbkit_nodejs/node/sbom.spdx.json`]: "node 24.21.0 spdx",
  });
  const out = replaceSbomEntries(old, reference, sbomPrefixes("cnbkit/nodejs", "node"), "test");
  const names = readRawTar(out, "out").entries.map((e) => e.name);
  expect(names).toEqual(readRawTar(old, "old").entries.map((e) => e.name));
  const read = (path: string) => execFileSync("tar", ["-xOf", "-", path], { input: out }).toString();
  expect(read(`${launch}/cnbkit_nodejs/node/sbom.cdx.json`)).toBe("node 24.21.0");
  expect(read(`${launch}/cnbkit_nodejs/node/sbom.spdx.json`)).toBe("node 24.21.0 spdx");
  expect(read(`${launch}/cnbkit_nodejs/launch_modules/sbom.cdx.json`)).toBe("express 4");
  // Patching again with the same reference changes nothing: the result is a fixed point.
  expect(replaceSbomEntries(out, reference, sbomPrefixes("cnbkit/nodejs", "node"), "test").equals(out)).toBe(true);
});

test("a layer the old SBOM did not list gets the reference's documents at their sorted place", async () => {
  const old = await sbomTar("old2", {
    [`${launch}/cnbkit_nodejs/a/sbom.cdx.json`]: "a",
    [`${launch}/cnbkit_nodejs/z/sbom.cdx.json`]: "z",
  });
  const reference = await sbomTar("ref2", { [`${launch}/cnbkit_nodejs/node/sbom.cdx.json`]: "node" });
  const out = replaceSbomEntries(old, reference, sbomPrefixes("cnbkit/nodejs", "node"), "test");
  const files = readRawTar(out, "out")
    .entries.filter((e) => e.typeflag === "0")
    .map((e) => e.name);
  expect(files).toEqual([
    `${launch}/cnbkit_nodejs/a/sbom.cdx.json`,
    `${launch}/cnbkit_nodejs/node/sbom.cdx.json`,
    `${launch}/cnbkit_nodejs/z/sbom.cdx.json`,
  ]);
});

test("a PAX header or a cut tar is one line naming the image", () => {
  const pax = Buffer.alloc(1024);
  pax.write("x", 156);
  expect(() => readRawTar(pax, "image r@sha256:1")).toThrow(/image r@sha256:1: .*PAX\/GNU/);
  const cut = Buffer.alloc(512);
  cut.write("a", 0);
  cut.write("00000001000\0", 124);
  expect(() => readRawTar(cut, "image r")).toThrow("image r: the SBOM layer's tar is cut short");
});
