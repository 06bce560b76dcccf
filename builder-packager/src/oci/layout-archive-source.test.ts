import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { imageConfig } from "./image.js";
import { writeLayer } from "./layer.js";
import { OciLayout } from "./layout.js";
import { exportLayoutTar } from "./layout-archive.js";
import { openLayoutArchive } from "./layout-archive-source.js";

let work: string;
let big: { digest: string; size: number };
let manifestDigest: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-archive-source-"));
  // A layer of 2 MiB of random bytes: gzip cannot shrink it under the 1 MiB line, so its
  // blob stays in the tar and is read as a byte range.
  const layout = await OciLayout.create(join(work, "layout"));
  const data = randomBytes(2 << 20);
  const layer = await writeLayer([{ type: "file", path: "cnb/big.bin", size: data.length, data }], layout.blobDir);
  big = layer;
  const config = imageConfig({ architecture: "amd64", diffIds: [layer.diffId], config: { Labels: { a: "b" } } });
  manifestDigest = (await layout.writeImage({ config, layers: [layer], tag: "latest" })).digest;
  await exportLayoutTar(layout.dir, join(work, "bp.cnb"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const bytes = async (s: AsyncIterable<unknown>) => {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
};

describe("a .cnb read in place", () => {
  test("gives the image and its blobs without unpacking the large ones (cnbkit's tar and GNU tar's)", async () => {
    execFileSync("tar", ["--format=pax", "-cf", join(work, "gnu.cnb"), "-C", join(work, "layout"), "."]);
    for (const [name, file] of [
      ["cnbkit", "bp.cnb"],
      ["gnu", "gnu.cnb"],
    ] as const) {
      const scratch = join(work, `scratch-${name}`);
      const src = await openLayoutArchive(join(work, file), scratch);
      const { manifest, config } = await src.image();
      expect(manifest.digest).toBe(manifestDigest);
      expect(config.config?.Labels?.a).toBe("b");
      const blobs = await readdir(join(scratch, "blobs", "sha256"));
      expect(blobs).not.toContain(big.digest.slice("sha256:".length));
      const got = await bytes(await src.blob(big.digest as `sha256:${string}`, big.size));
      // Buffer#equals: toEqual walks 2 MiB element by element (minutes)
      expect(got.equals(await readFile(join(work, "layout", "blobs", "sha256", big.digest.slice(7))))).toBe(true);
      expect(await src.blobFile?.(big.digest as `sha256:${string}`)).toBeUndefined();
    }
  });

  test("a large blob whose bytes changed in the tar fails as it is read, naming the blob", async () => {
    const tar = await readFile(join(work, "bp.cnb"));
    const at = tar.indexOf(await readFile(join(work, "layout", "blobs", "sha256", big.digest.slice(7))));
    expect(at).toBeGreaterThan(0);
    tar[at + 1000] = (tar[at + 1000] as number) ^ 0xff;
    await writeFile(join(work, "flipped.cnb"), tar);
    const src = await openLayoutArchive(join(work, "flipped.cnb"), join(work, "scratch-flipped"));
    await expect(bytes(await src.blob(big.digest as `sha256:${string}`, big.size))).rejects.toThrow(
      new RegExp(`flipped.cnb: blob ${big.digest} is corrupt`),
    );
  });

  test("a tar that is not a layout, or whose entry escapes it, is one line", async () => {
    await writeFile(join(work, "x.txt"), "x");
    execFileSync("tar", ["-cf", join(work, "plain.cnb"), "-C", work, "x.txt"]);
    await expect(openLayoutArchive(join(work, "plain.cnb"), join(work, "s1"))).rejects.toThrow(
      /plain.cnb: not a tar of an OCI image layout \(no oci-layout file\)/,
    );
    execFileSync("tar", ["-cf", join(work, "escape.cnb"), "--transform", "s|^|../|", "-C", work, "x.txt"]);
    await expect(openLayoutArchive(join(work, "escape.cnb"), join(work, "s2"))).rejects.toThrow(
      /escape.cnb: entry "..\/x.txt" escapes the layout/,
    );
    await writeFile(join(work, "junk.cnb"), randomBytes(2048));
    await expect(openLayoutArchive(join(work, "junk.cnb"), join(work, "s3"))).rejects.toThrow(/junk.cnb: not a tar/);
    // Junk whose checksum field happens to read as octal (one random file in ~30 did) is still junk.
    const octal = randomBytes(2048);
    octal.write("0001234\0", 148, "latin1");
    await writeFile(join(work, "octal.cnb"), octal);
    await expect(openLayoutArchive(join(work, "octal.cnb"), join(work, "s4"))).rejects.toThrow(/octal.cnb: not a tar/);
  });
});
