/**
 * A new image layer read from its buildpack's dir gives the findings its blob gives. The
 * blob is made by GNU tar the way the lifecycle's exporter makes it (layers/dir.go
 * DirLayer): the parents `layers` and `layers/<buildpack>` with their own owners and modes,
 * then the layer dir and all below it in each dir's byte order, hard links as files, owned by
 * the exporter's user. Then the check itself, through a layout, reads the dir when there is
 * one and the blob when not.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, chown, link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { imageConfig, MEDIA_TYPES, OciLayout } from "../../../oci/index.js";
import { snapshotCache } from "./cache-snapshot.js";
import { checkNewLayers } from "./check-layers.js";
import { scanLayerDir } from "./dir-layer-scan.js";
import { scanLayerFile } from "./layer-scan.js";

/** One temp dir for the file, a case's own dir inside it. */
let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-dir-layer-scan-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});
const tmp = () => mkdtemp(join(work, "case-"));

const owner = { uid: 1000, gid: 1000 };
const SECRET = "copied-secret-value-42";
const needles = [Buffer.from("nothing-here-0"), Buffer.from(SECRET)];

/**
 * `<root>/layers/acme_bp/tools` as a buildpack leaves it: a secret in a config file (and in
 * a later one, which must not be the one named), a setuid file, a world-writable dir and
 * fifo, a symlink, a hard link, a file root owns on disk (the tar says the exporter's user),
 * names whose order differs between a per-dir and a whole-path sort (`a/` before `a-c`).
 */
async function buildpackLayer(root: string): Promise<string> {
  const layer = join(root, "layers", "acme_bp", "tools");
  await mkdir(join(layer, "a", "open"), { recursive: true });
  await writeFile(join(layer, "a", "config.ini"), `token=${SECRET}\n`);
  await writeFile(join(layer, "a-c"), `again ${SECRET}`);
  await writeFile(join(layer, "su-ish"), "#!/bin/sh\nid\n");
  await chmod(join(layer, "su-ish"), 0o4755);
  await chmod(join(layer, "a", "open"), 0o777);
  execFileSync("mkfifo", ["-m", "0666", join(layer, "pipe")]);
  await symlink("su-ish", join(layer, "to-su"));
  await link(join(layer, "a-c"), join(layer, "hard"));
  await writeFile(join(layer, "rootfile"), "x");
  await chown(join(layer, "rootfile"), 0, 0);
  await chmod(join(root, "layers", "acme_bp"), 0o775);
  return layer;
}

/** The exporter's tar of `<root>/layers/<dir>`, gzipped, by GNU tar; the exporter's user is `uid`. */
function exporterBlob(root: string, dir: string, out: string, uid = 1000): void {
  const parents = dir.split("/").map((_, i, parts) => `layers/${parts.slice(0, i).join("/")}`.replace(/\/$/, ""));
  const common = ["-C", root, "--sort=name", "--hard-dereference", "--numeric-owner", "-f", `${out}.tar`];
  execFileSync("tar", [...common, "-c", "--no-recursion", ...parents]);
  execFileSync("tar", [...common, "-r", `--owner=${uid}`, `--group=${uid}`, `layers/${dir}`]);
  execFileSync("gzip", ["-n", "-f", `${out}.tar`]);
}

describe("a buildpack layer read from its dir", () => {
  test("the same secret, setuid, world-writable and owner findings as its blob", async () => {
    const root = await tmp();
    await buildpackLayer(root);
    const blob = join(root, "blob");
    exporterBlob(root, "acme_bp/tools", blob);
    const viaTar = await scanLayerFile(`${blob}.tar.gz`, needles, owner);
    const viaDir = await scanLayerDir(`${blob}.tar.gz`, join(root, "layers"), "acme_bp/tools", needles, owner);
    expect(viaDir).toEqual(viaTar);
    expect(viaTar.secret).toEqual({ needle: 1, path: "layers/acme_bp/tools/a/config.ini" });
    const paths = (kind: string) => viaTar.hygiene.filter((f) => f.kind === kind).map((f) => f.path);
    expect(paths("setuid")).toEqual(["layers/acme_bp/tools/su-ish"]);
    expect(paths("world-writable")).toEqual(["layers/acme_bp/tools/a/open", "layers/acme_bp/tools/pipe"]);
    expect(paths("owner")).toEqual([]);
    // No needles: the files need not be read, the figures are the same.
    expect(await scanLayerDir(`${blob}.tar.gz`, join(root, "layers"), "acme_bp/tools", [], owner)).toEqual(
      await scanLayerFile(`${blob}.tar.gz`, [], owner),
    );
  });

  test("a dir that is not what the tar's head shows is not read: another dir, another owner, no dir", async () => {
    const root = await tmp();
    await buildpackLayer(root);
    await mkdir(join(root, "layers", "acme_bp", "other"));
    const blob = join(root, "blob");
    exporterBlob(root, "acme_bp/tools", blob);
    const layers = join(root, "layers");
    expect(await scanLayerDir(`${blob}.tar.gz`, layers, "acme_bp/other", needles, owner)).toBeUndefined();
    expect(await scanLayerDir(`${blob}.tar.gz`, layers, "acme_bp/gone", needles, owner)).toBeUndefined();
    // An exporter that wrote another user: only the tar says so (every entry below the dir).
    const foreign = join(root, "foreign");
    exporterBlob(root, "acme_bp/tools", foreign, 0);
    expect(await scanLayerDir(`${foreign}.tar.gz`, layers, "acme_bp/tools", needles, owner)).toBeUndefined();
    const scan = await scanLayerFile(`${foreign}.tar.gz`, needles, owner);
    expect(scan.hygiene.filter((f) => f.kind === "owner").length).toBeGreaterThan(5);
  });
});

describe("the layer check with the build's /layers", () => {
  /** A layout holding one image whose only layer is the blob of `<root>/layers/acme_bp/tools`. */
  async function image(root: string): Promise<string> {
    const blob = join(root, "blob");
    exporterBlob(root, "acme_bp/tools", blob);
    const gz = await readFile(`${blob}.tar.gz`);
    const diffId = `sha256:${createHash("sha256").update(gunzipSync(gz)).digest("hex")}` as const;
    const layout = await OciLayout.create(join(root, "layout"));
    const layer = await layout.putBlob(gz, { mediaType: MEDIA_TYPES.layerGzip });
    const label = { buildpacks: [{ key: "acme/bp", version: "1", layers: { tools: { sha: diffId } } }] };
    const config = imageConfig({
      architecture: "amd64",
      config: { Labels: { "io.buildpacks.lifecycle.metadata": JSON.stringify(label) } },
      diffIds: [diffId],
    });
    await layout.writeImage({ config, layers: [layer], tag: "latest" });
    return join(root, "layout");
  }

  test("reads a new buildpack layer from its dir, and from its blob when the dir is gone", async () => {
    const root = await tmp();
    const layer = await buildpackLayer(root);
    await rm(join(layer, "su-ish"));
    await rm(join(layer, "a", "config.ini"));
    await rm(join(layer, "a-c"));
    await rm(join(layer, "hard"));
    const appPath = await image(root);
    // Only the dir has this file: a refusal naming it shows the dir was read.
    await writeFile(join(layer, "zz-late"), "x");
    await chmod(join(layer, "zz-late"), 0o2755);
    const lines: string[] = [];
    const check = async (layersDir: string) =>
      checkNewLayers({
        appPath,
        tag: "latest",
        cacheDir: join(root, "cache"),
        cache: await snapshotCache(join(root, "cache"), join(root, "work")),
        needles: [],
        owner,
        layersDir,
        output: "oci:out",
        say: (l) => lines.push(l),
      });
    await expect(check(join(root, "layers"))).rejects.toThrow(
      /^layer acme\/bp:tools \(image\) has a setuid\/setgid file: \/layers\/acme_bp\/tools\/zz-late \(mode 2755\)/,
    );
    await rm(join(root, "layers"), { recursive: true });
    await check(join(root, "layers"));
    expect(lines.at(-1)).toMatch(/^Checked 1 new layer \(0 MB\)/);
    expect(lines.some((l) => /world-writable entries: \/layers\/acme_bp\/tools\/a\/open/.test(l))).toBe(true);
  });
});
