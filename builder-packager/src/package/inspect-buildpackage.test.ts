/**
 * `cnbkit buildpack inspect` of a composite buildpackage (.cnb, OCI layout) and of a source
 * directory, against `pack buildpack inspect` (v0.40.6) of the same .cnb.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT } from "../../../test/e2e/support.js";
import { inspectBuildpackage, packageBuildpack } from "./index.js";
import { writeShellBuildpack } from "./test-fixtures.js";
import { runCli, outputSection } from "../../../test/support/cli.js";

const run = promisify(execFile);
const PACK = join(process.env.CNBKIT_CACHE ?? join(homedir(), ".cache", "cnbkit"), "pack", "0.40.6", "pack");

let root: string;
let meta: string;
let cnb: string;

beforeAll(async () => {
  execFileSync("bash", [join(ROOT, "scripts", "fetch-pack.sh")], { stdio: "inherit" });
  root = await mkdtemp(join(tmpdir(), "cnbkit-buildpack-inspect-"));
  await writeShellBuildpack(join(root, "one"), { id: "acme/one", version: "1.0.0" });
  await writeShellBuildpack(join(root, "two"), { id: "acme/two", version: "2.0.0" });
  meta = join(root, "meta");
  await mkdir(meta);
  await writeFile(
    join(meta, "buildpack.toml"),
    'api = "0.10"\n[buildpack]\nid = "acme/meta"\nversion = "3.0.0"\nname = "Meta"\nhomepage = "https://example.com/meta"\n\n' +
      '[[order]]\n[[order.group]]\nid = "acme/one"\nversion = "1.0.0"\n[[order.group]]\nid = "acme/two"\nversion = "2.0.0"\noptional = true\n\n' +
      '[[order]]\n[[order.group]]\nid = "acme/two"\nversion = "2.0.0"\n',
  );
  await writeFile(
    join(meta, "package.toml"),
    '[buildpack]\nuri = "."\n\n[[dependencies]]\nuri = "../one"\n\n[[dependencies]]\nuri = "../two"\n',
  );
  cnb = join(root, "meta.cnb");
  await packageBuildpack({ dir: meta, format: "file", output: cnb });
}, 300_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("cnbkit buildpack inspect", () => {
  test("a composite .cnb shows the buildpacks and detection order pack shows", async () => {
    const env = { ...process.env, PACK_HOME: join(root, "pack-home"), DOCKER_HOST: `unix://${join(root, "no.sock")}` };
    const { stdout: theirs } = await run(PACK, ["buildpack", "inspect", cnb, "--no-color"], { env });
    const ours = await runCli(["buildpack", "inspect", cnb]);
    expect(ours.err).toBe("");
    expect(ours.code).toBe(0);
    expect(outputSection(ours.out, "Buildpacks:")).toEqual(outputSection(theirs, "Buildpacks:"));
    // pack leaves the tab padding at the ends of its lines; cnbkit trims it.
    const trimmed = outputSection(theirs, "Detection Order:").map((l) => l.trimEnd());
    expect(outputSection(ours.out, "Detection Order:")).toEqual(trimmed);
    expect(ours.out).toContain("(optional)");
    // The .cnb was unpacked to a temp dir and that is gone.
    expect((await readdir(tmpdir())).filter((n) => n.startsWith("cnbkit-inspect-"))).toEqual([]);
  });

  test("the source directory reads as the package made from it, composites expanded", async () => {
    const fromDir = await inspectBuildpackage(meta);
    const fromCnb = await inspectBuildpackage(cnb);
    expect(fromDir.kind).toBe("directory");
    expect(fromDir.buildpack).toEqual(fromCnb.buildpack);
    expect(fromDir.detection_order).toEqual(fromCnb.detection_order);
    const composite = fromCnb.detection_order[0]?.group[0];
    expect(composite?.id).toBe("acme/meta");
    expect(composite?.order?.map((g) => g.group.map((b) => b.id))).toEqual([["acme/one", "acme/two"], ["acme/two"]]);
    expect(fromCnb.buildpacks.map((b) => `${b.id}@${b.version}`)).toEqual([
      "acme/meta@3.0.0",
      "acme/one@1.0.0",
      "acme/two@2.0.0",
    ]);
    const json = JSON.parse((await runCli(["buildpack", "inspect", join(root, "one"), "--json"])).out);
    expect(json.targets).toEqual([{ os: "linux", arch: "amd64" }]);
    expect(json.detection_order).toEqual([{ group: [{ id: "acme/one", version: "1.0.0" }] }]);
  });

  test("bad input is one line naming it, exit non-zero", async () => {
    const missing = await runCli(["buildpack", "inspect", join(root, "nope.cnb")]);
    expect(missing.code).toBe(1);
    expect(missing.err.split("\n")[0]).toBe(
      `error: ${join(root, "nope.cnb")}: no such file or directory (looked at ${join(root, "nope.cnb")})`,
    );
    await writeFile(join(root, "junk.cnb"), "not a tar");
    const junk = await runCli(["buildpack", "inspect", join(root, "junk.cnb")]);
    expect(junk.code).toBe(1);
    expect(junk.err).toMatch(/^error: .*junk\.cnb: not a \.cnb buildpackage/);
    const notBuilder = await runCli(["builder", "inspect", `oci:${join(root, "layout")}`]);
    expect(notBuilder.code).toBe(1);
    const empty = await runCli(["buildpack", "inspect", root]);
    expect(empty.err.split("\n")[0]).toBe(`error: ${root}: a directory without buildpack.toml or oci-layout`);
    for (const r of [missing, junk, notBuilder, empty]) expect(r.err).not.toMatch(/\n\s+at /);
  });

  test("builder inspect of a buildpackage says it is not a builder", async () => {
    await packageBuildpack({ dir: join(root, "one"), format: "oci", output: join(root, "one-layout") });
    const r = await runCli(["builder", "inspect", `oci:${join(root, "one-layout")}`]);
    expect(r.code).toBe(1);
    expect(r.err.split("\n")[0]).toMatch(/has no io\.buildpacks\.builder\.metadata label; is it a builder\?$/);
  });
});
