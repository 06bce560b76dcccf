/**
 * A new image layer read from its buildpack's dir gives the findings its blob gives, and only
 * when the dir makes the blob's tar again. The blob, testdata/exporter-layer.tar.gz, was made
 * by the lifecycle's own code (layers.Factory.DirLayer of v0.21.17, testdata/exporter-layer.go)
 * from the tree {@link buildpackLayer} makes: a secret, a setuid file, a world-writable dir
 * and fifo, a symlink, a hard link, a file root owns on disk, a name longer than USTAR's
 * name field, and names whose order differs between a per-dir and a whole-path sort
 * (testdata/exporter-layer-clean.tar.gz: the same without the setuid file and its symlink).
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

const BLOB = join(import.meta.dirname, "testdata", "exporter-layer.tar.gz");
/** The same without the setuid file and the symlink to it. */
const CLEAN_BLOB = join(import.meta.dirname, "testdata", "exporter-layer-clean.tar.gz");
const SECRET = "copied-secret-value-42";
const LONG = `deep/${"d".repeat(60)}/${"f".repeat(50)}`;
const owner = { uid: 1000, gid: 1000 };
const needles = [Buffer.from("nothing-here-0"), Buffer.from(SECRET)];

/** One temp dir for the file, a case's own dir inside it. */
let work = "";
let diffId = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-dir-layer-scan-"));
  diffId = `sha256:${createHash("sha256")
    .update(gunzipSync(await readFile(BLOB)))
    .digest("hex")}`;
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** `<root>/layers/acme_bp/tools` as the blob was made from it (every mode set, whatever the umask). */
async function buildpackLayer(root: string, setuid = true): Promise<string> {
  const layer = join(root, "layers", "acme_bp", "tools");
  const file = async (rel: string, text: string, mode = 0o644) => {
    await writeFile(join(layer, rel), text);
    await chmod(join(layer, rel), mode);
  };
  await mkdir(join(layer, "a", "open"), { recursive: true });
  await mkdir(join(layer, LONG, ".."), { recursive: true });
  await file("a/config.ini", `token=${SECRET}\n`);
  await file("a-c", `again ${SECRET}`);
  if (setuid) await file("su-ish", "#!/bin/sh\nid\n", 0o4755);
  await file(LONG, "long name\n");
  await file("rootfile", "x");
  await chown(join(layer, "rootfile"), 0, 0);
  execFileSync("mkfifo", ["-m", "0666", join(layer, "pipe")]);
  if (setuid) await symlink("su-ish", join(layer, "to-su"));
  await link(join(layer, "a-c"), join(layer, "hard"));
  for (const d of ["", "a", "deep", `deep/${"d".repeat(60)}`]) await chmod(join(layer, d), 0o755);
  await chmod(join(layer, "a", "open"), 0o777);
  await chmod(join(root, "layers", "acme_bp"), 0o775);
  await chmod(join(root, "layers"), 0o755);
  return layer;
}

describe("a buildpack layer read from its dir", () => {
  test("the same secret, setuid, world-writable and owner findings as the lifecycle's blob", async () => {
    const root = await mkdtemp(join(work, "case-"));
    await buildpackLayer(root);
    const layer = { blob: BLOB, diffId, layersDir: join(root, "layers"), dir: "acme_bp/tools" };
    const viaTar = await scanLayerFile(BLOB, needles, owner);
    const viaDir = await scanLayerDir(layer, needles, owner);
    expect(viaDir).toEqual(viaTar);
    expect(viaTar.secret).toEqual({ needle: 1, path: "layers/acme_bp/tools/a/config.ini" });
    const paths = (kind: string) => viaTar.hygiene.filter((f) => f.kind === kind).map((f) => f.path);
    expect(paths("setuid")).toEqual(["layers/acme_bp/tools/su-ish"]);
    expect(paths("world-writable")).toEqual(["layers/acme_bp/tools/a/open", "layers/acme_bp/tools/pipe"]);
    expect(paths("owner")).toEqual([]);
    expect(await scanLayerDir(layer, [], owner)).toEqual(await scanLayerFile(BLOB, [], owner));
  });

  test("a dir that does not make the blob's tar is not read: another dir, none, another owner, a file changed since", async () => {
    const root = await mkdtemp(join(work, "case-"));
    const layer = await buildpackLayer(root);
    await mkdir(join(root, "layers", "acme_bp", "other"));
    const at = (dir: string) => ({ blob: BLOB, diffId, layersDir: join(root, "layers"), dir });
    expect(await scanLayerDir(at("acme_bp/tools"), needles, owner)).toBeDefined();
    expect(await scanLayerDir(at("acme_bp/other"), needles, owner)).toBeUndefined();
    expect(await scanLayerDir(at("acme_bp/gone"), needles, owner)).toBeUndefined();
    expect(await scanLayerDir(at("acme_bp/tools"), needles, { uid: 2000, gid: 2000 })).toBeUndefined();
    // The same size, another byte: only the digest tells.
    await writeFile(join(layer, "a", "config.ini"), `token=${SECRET.replace("42", "43")}\n`);
    expect(await scanLayerDir(at("acme_bp/tools"), needles, owner)).toBeUndefined();
  });
});

describe("the layer check with the build's /layers", () => {
  test("reads a new buildpack layer from its dir when the dir makes its tar, else its blob: the same warnings", async () => {
    const root = await mkdtemp(join(work, "case-"));
    const layer = await buildpackLayer(root, false);
    // The image: the blob made without the setuid file, labelled as acme/bp's layer "tools".
    const blob = await readFile(CLEAN_BLOB);
    const cleanId = `sha256:${createHash("sha256").update(gunzipSync(blob)).digest("hex")}` as const;
    const layout = await OciLayout.create(join(root, "layout"));
    const desc = await layout.putBlob(blob, { mediaType: MEDIA_TYPES.layerGzip });
    const label = { buildpacks: [{ key: "acme/bp", version: "1", layers: { tools: { sha: cleanId } } }] };
    const config = imageConfig({
      architecture: "amd64",
      config: { Labels: { "io.buildpacks.lifecycle.metadata": JSON.stringify(label) } },
      diffIds: [cleanId],
    });
    await layout.writeImage({ config, layers: [desc], tag: "latest" });
    let proven: ReadonlySet<string> = new Set();
    const snapshot = async () => snapshotCache(join(root, "cache"), await mkdtemp(join(root, "work-")));
    const check = async (cache?: Awaited<ReturnType<typeof snapshot>>) => {
      const lines: string[] = [];
      proven = await checkNewLayers({
        appPath: join(root, "layout"),
        tag: "latest",
        cacheDir: join(root, "cache"),
        cache: cache ?? (await snapshot()),
        needles: [],
        owner,
        layersDir: join(root, "layers"),
        output: "oci:out",
        say: (l) => lines.push(l),
      });
      return lines;
    };
    const warning =
      "Warning: layer acme/bp:tools has world-writable entries: /layers/acme_bp/tools/a/open, /layers/acme_bp/tools/pipe";
    const fromDir = await check();
    expect(fromDir[0]).toBe(warning);
    expect(fromDir[1]).toMatch(
      /^Checked 1 new layer \(0 MB\) for 0 secret values .* s, 1 read from its layer directory$/,
    );
    expect([...proven]).toEqual([cleanId]); // what the ABI label may read from the dir
    // A layer for launch and cache: the cache's new, uncompressed tar of the same diffID. The dir
    // is still read first, so it is proven too.
    await mkdir(join(root, "cache", "committed"), { recursive: true });
    const before = await snapshot();
    await writeFile(join(root, "cache", "committed", `${cleanId}.tar`), gunzipSync(blob));
    expect((await check(before))[1]).toMatch(/, 1 read from its layer directory$/);
    expect([...proven]).toEqual([cleanId]);
    await writeFile(join(layer, "rootfile"), "y"); // changed after the export: the tars are read
    const fromBlob = await check();
    expect(fromBlob[0]).toBe(warning);
    expect(fromBlob[1]).toMatch(/^Checked 1 new layer \(0 MB\) for 0 secret values and setuid files in [\d.]+ s$/);
    expect(proven.size).toBe(0);
  });
});
