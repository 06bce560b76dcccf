import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { main } from "../cli/index.js";
import { imageConfig, OciLayout, writeLayer } from "../oci/index.js";

test("cnbkit inspect checks the config it prints: a flipped byte is an error naming the blob", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-inspect-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const layout = await OciLayout.create(dir);
  const layer = await writeLayer([{ type: "file", path: "etc/x", size: 1, data: "x" }], layout.blobDir);
  const labels = { "io.buildpacks.lifecycle.metadata": "{}", "io.buildpacks.build.metadata": "{}" };
  await layout.writeImage({
    config: imageConfig({ architecture: "amd64", config: { Labels: labels }, diffIds: [layer.diffId] }),
    layers: [layer],
    tag: "latest",
  });
  const m = await layout.resolve("latest");
  if (m.kind !== "manifest") throw new Error("not a manifest");
  const config = m.manifest.config.digest;
  const path = layout.blobPath(config);
  await writeFile(path, (await readFile(path, "utf8")).replace("amd64", "arm64"));

  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["inspect", `oci:${dir}:latest`], {
    out: (l) => {
      out.push(l);
      return true;
    },
    err: (l) => {
      err.push(l);
      return true;
    },
  });
  expect(code).toBe(1);
  expect(out).toEqual([]);
  expect(err.join("\n")).toMatch(
    new RegExp(`^error: ${dir}: blob ${config} (is corrupt|of image sha256:[0-9a-f]{64} was corrupt)`),
  );
  // Not printed as if it were arm64: the bad blob is gone.
  expect(await layout.hasBlob(config)).toBe(false);
});
