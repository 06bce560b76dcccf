/**
 * The reference buildpacks' `[[targets]]` (each naming Debian 12 and 13) read by the real
 * lifecycle detector against a run image target as the analyzer writes it from the run
 * image's io.buildpacks.base.* labels: both of cnbkit's Debian releases pass, another
 * distro version is refused before any detect runs.
 */
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseBuildpackToml } from "@cnbkit/framework/cnb-files";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createWorkspace, detect, readLifecycleToml, type Workspace, writeOrder } from "../support/lifecycle.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
let ws: Workspace;
const ids: { id: string; version: string }[] = [];

beforeAll(async () => {
  ws = await createWorkspace();
  // Each reference buildpack's real buildpack.toml with a detect that always passes: what is
  // under test is the lifecycle's target check, which runs before bin/detect.
  for (const name of (await readdir(join(repo, "buildpacks"))).sort()) {
    const toml = await readFile(join(repo, "buildpacks", name, "buildpack.toml"), "utf8").catch(() => undefined);
    if (!toml) continue;
    const { buildpack, targets } = parseBuildpackToml(toml, `buildpacks/${name}/buildpack.toml`);
    expect(targets.length, name).toBeGreaterThan(0);
    const dir = join(ws.buildpacks, buildpack.id.replaceAll("/", "_"), buildpack.version);
    await mkdir(join(dir, "bin"), { recursive: true });
    await writeFile(join(dir, "buildpack.toml"), toml);
    for (const bin of ["detect", "build"]) {
      await writeFile(join(dir, "bin", bin), "#!/bin/sh\nexit 0\n");
      await chmod(join(dir, "bin", bin), 0o755);
    }
    ids.push({ id: buildpack.id, version: buildpack.version });
  }
  await writeOrder(ws, [ids]); // one group, none optional: a refused target fails the group
}, 180_000);

afterAll(async () => {
  await ws?.cleanup();
});

/** analyzed.toml as the analyzer writes it for a run image labelled debian `version`. */
async function runImageDistro(version: string): Promise<void> {
  const arch = process.arch === "arm64" ? "arm64" : "amd64";
  await writeFile(
    join(ws.layers, "analyzed.toml"),
    [
      "[run-image]",
      '  reference = ""',
      '  image = "oci:/base:run"',
      "  [run-image.target]",
      '    os = "linux"',
      `    arch = "${arch}"`,
      "    [run-image.target.distro]",
      '      name = "debian"',
      `      version = "${version}"`,
      "",
    ].join("\n"),
  );
}

test.each(["13", "12"])("on a Debian %s run image every reference buildpack passes the target check", async (v) => {
  await runImageDistro(v);
  const r = await detect(ws);
  expect(r.code, r.output).toBe(0);
  const group = ((await readLifecycleToml(join(ws.layers, "group.toml")))?.group ?? []) as { id: string }[];
  expect(group.map((b) => b.id)).toEqual(ids.map((b) => b.id));
});

test("on a Debian 11 run image the lifecycle refuses them for their targets", async () => {
  await runImageDistro("11");
  const r = await detect(ws);
  expect(r.code).not.toBe(0);
  expect(r.output).toContain("unable to satisfy target os/arch constraints");
  expect(r.output).toContain('"version":"11"');
});
