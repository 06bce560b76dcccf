import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, chown, link, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sha256 } from "./digest.js";
import { layerFromDir, writeLayer } from "./layer.js";
import { noiseStream, peakRssGrowth } from "./test-memory.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "oci-layer-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Makes the same small tree at `root`, with the given mtime and owner, to prove they do not leak. */
async function makeTree(root: string, mtime: Date, owner: number): Promise<void> {
  await mkdir(join(root, "bin"), { recursive: true });
  await mkdir(join(root, "lib", "deep"), { recursive: true });
  await writeFile(join(root, "bin", "build"), "#!/bin/sh\necho build\n");
  await chmod(join(root, "bin", "build"), 0o700);
  await writeFile(join(root, "buildpack.toml"), 'api = "0.12"\n');
  await chmod(join(root, "buildpack.toml"), 0o600);
  await link(join(root, "bin", "build"), join(root, "bin", "detect"));
  await symlink("../bin/build", join(root, "lib", "build-link"));
  await writeFile(join(root, "lib", "deep", `${"n".repeat(120)}.txt`), "long name\n");
  await writeFile(join(root, "lib", "deep", "ünïcode.txt"), "utf8 name\n");
  for (const p of ["bin/build", "buildpack.toml", "lib/deep", "lib", "bin", ""]) {
    await chown(join(root, p), owner, owner);
    await utimes(join(root, p), mtime, mtime);
  }
}

function tarList(file: string): string[] {
  return execFileSync("tar", ["-tvzf", file, "--numeric-owner", "--full-time"], { encoding: "utf8" })
    .trim()
    .split("\n");
}

describe("layerFromDir", () => {
  test("the same tree at two paths with other mtimes and owners gives the same digest and diffId", async () => {
    const a = join(work, "a", "src");
    const b = join(work, "bbbbbb", "elsewhere");
    await makeTree(a, new Date("2001-02-03T04:05:06Z"), 0);
    await makeTree(b, new Date("2024-07-08T09:10:11Z"), 1000);
    const out = join(work, "blobs");
    const opts = { prefix: "cnb/buildpacks/acme_node/1.0.0" };
    const la = await layerFromDir(a, opts, out);
    const lb = await layerFromDir(b, opts, out);
    expect(la.digest).toBe(lb.digest);
    expect(la.diffId).toBe(lb.diffId);
    expect(la.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");

    // The blob is named by its digest, its size is right, and the diffId is the tar's sha256.
    const blob = join(out, la.digest.slice(7));
    const bytes = await readFile(blob);
    expect(sha256(bytes)).toBe(la.digest);
    expect(bytes.length).toBe(la.size);
    const tarHash = createHash("sha256");
    for await (const c of createReadStream(blob).pipe(createGunzip())) tarHash.update(c);
    expect(`sha256:${tarHash.digest("hex")}`).toBe(la.diffId);
    // gzip header: no name flag, mtime 0, OS byte 255.
    expect(bytes[3]).toBe(0);
    expect(bytes.readUInt32LE(4)).toBe(0);
    expect(bytes[9]).toBe(0xff);

    const lines = tarList(blob);
    const names = lines.map((l) => l.split(/\s+/).slice(5).join(" "));
    expect(names[0]).toBe("cnb/");
    expect(names).toContain("cnb/buildpacks/acme_node/1.0.0/bin/build");
    // hardlink: detect sorts after build, so detect links to build
    expect(names).toContain(
      "cnb/buildpacks/acme_node/1.0.0/bin/detect link to cnb/buildpacks/acme_node/1.0.0/bin/build",
    );
    expect(names).toContain("cnb/buildpacks/acme_node/1.0.0/lib/build-link -> ../bin/build");
    expect(names).toContain(`cnb/buildpacks/acme_node/1.0.0/lib/deep/${"n".repeat(120)}.txt`);
    expect(names).toContain("cnb/buildpacks/acme_node/1.0.0/lib/deep/ünïcode.txt");
    const sorted = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(names).toEqual(sorted);
    for (const l of lines) {
      const [perm, owner, , date, time] = l.split(/\s+/);
      expect(owner).toBe("0/0");
      expect(`${date} ${time}`).toBe("1980-01-01 00:00:01");
      if (perm!.startsWith("d")) expect(perm).toBe("drwxr-xr-x");
    }
    const perms = Object.fromEntries(lines.map((l) => [l.split(/\s+/).slice(5).join(" "), l.split(/\s+/)[0]]));
    expect(perms["cnb/buildpacks/acme_node/1.0.0/bin/build"]).toBe("-rwxr-xr-x");
    expect(perms["cnb/buildpacks/acme_node/1.0.0/buildpack.toml"]).toBe("-rw-r--r--");
  });

  test("uid/gid, modes and parents options set owners and modes", async () => {
    const src = join(work, "opt-src");
    await mkdir(join(src, "sub"), { recursive: true });
    await writeFile(join(src, "sub", "f"), "x");
    const layer = await layerFromDir(
      src,
      {
        prefix: "workspace/app",
        uid: 1000,
        gid: 1001,
        modes: (p, st) => (st.isDirectory() ? 0o775 : p === "sub/f" ? 0o600 : 0o644),
        parents: [{ uid: 0, gid: 0, mode: 0o711 }],
      },
      join(work, "blobs2"),
    );
    const lines = tarList(join(work, "blobs2", layer.digest.slice(7)));
    const byName = Object.fromEntries(lines.map((l) => [l.split(/\s+/).slice(5).join(" "), l.split(/\s+/)]));
    expect(byName["workspace/"]?.slice(0, 2)).toEqual(["drwx--x--x", "0/0"]);
    expect(byName["workspace/app/"]?.slice(0, 2)).toEqual(["drwxrwxr-x", "1000/1001"]);
    expect(byName["workspace/app/sub/f"]?.slice(0, 2)).toEqual(["-rw-------", "1000/1001"]);
  });
});

describe("writeLayer", () => {
  test("entries from an async iterable in any order give the same layer as a sorted array", async () => {
    const entries = [
      { type: "file" as const, path: "/b/file.txt", size: 5, data: "hello" },
      { type: "symlink" as const, path: "a/link", target: "/b/file.txt" },
      { type: "dir" as const, path: "b", mode: 0o700 },
    ];
    async function* gen() {
      for (const e of [...entries].reverse()) yield e;
    }
    const x = await writeLayer(entries, join(work, "w"));
    const y = await writeLayer(gen(), join(work, "w"));
    expect(x.digest).toBe(y.digest);
    const names = tarList(join(work, "w", x.digest.slice(7))).map((l) => l.split(/\s+/).slice(5).join(" "));
    expect(names).toEqual(["a/", "a/link -> /b/file.txt", "b/", "b/file.txt"]);
  });

  test("a content length that differs from size fails and leaves no blob", async () => {
    const dir = join(work, "bad");
    await expect(writeLayer([{ type: "file", path: "f", size: 10, data: "short" }], dir)).rejects.toThrow(
      /size says 10/,
    );
    await expect((await import("node:fs/promises")).readdir(dir)).resolves.toEqual([]);
  });

  test("a 300 MB file streams with bounded memory", async () => {
    const size = 300 * 1024 * 1024;
    const {
      result: layer,
      beforeMb,
      deltaMb: delta,
    } = await peakRssGrowth((sample) =>
      writeLayer([{ type: "file", path: "big.bin", size, stream: () => noiseStream(size) }], join(work, "big"), {
        onProgress: sample,
      }),
    );
    console.log(`300 MB layer: rss before ${beforeMb.toFixed(0)} MB, peak delta ${delta.toFixed(1)} MB`);
    expect((await stat(join(work, "big", layer.digest.slice(7)))).size).toBe(layer.size);
    expect(layer.size).toBeGreaterThan(size / 2);
    expect(delta).toBeLessThan(300);
    await rm(join(work, "big"), { recursive: true });
  });
});
