/**
 * The lifecycle's own SBOMs: the reference builder carries /cnb/lifecycle/{lifecycle,
 * launcher}.sbom.* (made from the Go-built binaries' build info), so an app image carries
 * the launcher's, `cnbkit sbom` exports it, and the exporter no longer warns "Did not find
 * SBOM". A Procfile-only app keeps the build short.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildApp } from "../../builder-packager/src/platform/index.js";
import { exportSbom } from "../../builder-packager/src/platform/sbom.js";
import { lifecycleDir } from "../support/lifecycle.js";
import { caBindings, referenceBuilder } from "./support.js";

let work = "";
let builder = "";

beforeAll(async () => {
  builder = await referenceBuilder();
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-lifecycle-sbom-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test("an app image's launcher SBOM lists the launcher's Go modules, and the build warns of no missing SBOM", async () => {
  const app = join(work, "app");
  await mkdir(app);
  await writeFile(join(app, "Procfile"), "web: echo hello\n");
  const lines: string[] = [];
  const image = `oci:${join(work, "out")}:latest`;
  await buildApp({
    appDir: app,
    builder,
    output: image,
    cacheDir: join(work, "cache"),
    bindings: await caBindings(),
    onOutput: (l) => lines.push(l),
  });
  expect(lines.join("\n")).not.toMatch(/Did not find SBOM/);

  const files = await exportSbom(image, join(work, "sbom"));
  expect(files).toEqual(
    expect.arrayContaining([
      "launch/buildpacksio_lifecycle/launcher/sbom.cdx.json",
      "launch/buildpacksio_lifecycle/launcher/sbom.spdx.json",
      "launch/buildpacksio_lifecycle/launcher/sbom.syft.json",
    ]),
  );
  const cdx = JSON.parse(
    await readFile(join(work, "sbom", "launch/buildpacksio_lifecycle/launcher/sbom.cdx.json"), "utf8"),
  );
  // What Go itself reads from the launcher binary.
  const modules = execFileSync("go", ["version", "-m", join(lifecycleDir(), "launcher")], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.startsWith("\tdep\t"))
    .map((l) => `pkg:golang/${l.split("\t")[2]}@${l.split("\t")[3]}`);
  expect(modules.length).toBeGreaterThan(3);
  expect(cdx.components.map((c: { purl?: string }) => c.purl)).toEqual(
    expect.arrayContaining([...modules, "pkg:golang/github.com/buildpacks/lifecycle@v0.21.17"]),
  );
});
