import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import { describe, expect, test } from "vitest";
import { cnbFailure } from "./test-failure.js";
import { tempDirPerTest } from "../testing/test-temp-dir.js";
import { extract, sniffFormat } from "./archive.js";

let dir: string;
tempDirPerTest("archive", (d) => {
  dir = d;
});

type Entry = {
  name: string;
  type?: "file" | "directory" | "symlink" | "link";
  body?: string | Buffer;
  mode?: number;
  linkname?: string;
  mtime?: Date;
};

/** Builds a tar in memory with tar-stream (so tests can write entries real tools refuse to make). */
async function tarBuffer(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on("data", (c: unknown) => {
      chunks.push(c as Buffer);
    });
    pack.on("end", () => resolve());
    pack.on("error", reject);
  });
  for (const e of entries) {
    const type = e.type ?? "file";
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === "directory" ? 0o755 : 0o644),
      ...(e.linkname ? { linkname: e.linkname } : {}),
      ...(e.mtime ? { mtime: e.mtime } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      if (type === "file") pack.entry(header, e.body ?? "", (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function tgz(name: string, entries: Entry[]): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, gzipSync(await tarBuffer(entries)));
  return file;
}

const sample: Entry[] = [
  { name: "node-v24/", type: "directory" },
  { name: "node-v24/bin/", type: "directory", mode: 0o755 },
  { name: "node-v24/bin/node", body: "#!/bin/sh\necho node\n", mode: 0o755 },
  { name: "node-v24/lib/readme.txt", body: "hello", mode: 0o640 },
  { name: "node-v24/bin/npm", type: "symlink", linkname: "../lib/readme.txt" },
  { name: "node-v24/bin/node-hard", type: "link", linkname: "node-v24/bin/node" },
];

/** What's left next to `dest` besides the archives: should be nothing after a failure. */
async function leftovers(): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith(".") || n === "out");
}

describe("extract", () => {
  test("tar.gz with strip 1 keeps modes, symlinks and hardlinks", async () => {
    const file = await tgz("node.tar.gz", sample);
    const out = join(dir, "out");
    await extract(file, out, { strip: 1 });
    expect((await readdir(out)).sort()).toEqual(["bin", "lib"]);
    expect(await readFile(join(out, "bin/node"), "utf8")).toBe("#!/bin/sh\necho node\n");
    expect((await stat(join(out, "bin/node"))).mode & 0o777).toBe(0o755);
    expect((await stat(join(out, "lib/readme.txt"))).mode & 0o777).toBe(0o640);
    expect(await readlink(join(out, "bin/npm"))).toBe("../lib/readme.txt");
    expect(await readFile(join(out, "bin/npm"), "utf8")).toBe("hello");
    expect((await stat(join(out, "bin/node-hard"))).ino).toBe((await stat(join(out, "bin/node"))).ino);
    expect(execFileSync(join(out, "bin/node"), { encoding: "utf8" })).toBe("node\n");
    expect((await readdir(dir)).filter((n) => n.startsWith("."))).toEqual([]);
  });

  test("into an existing directory: moves entries in and keeps what else is there", async () => {
    const out = join(dir, "out");
    await mkdir(out);
    await writeFile(join(out, "keep.txt"), "mine");
    await extract(await tgz("a.tgz", sample), out, { strip: 1 });
    expect((await readdir(out)).sort()).toEqual(["bin", "keep.txt", "lib"]);
  });

  test("into an existing directory whose parent takes no new entries (the app dir in /), staging inside it", async () => {
    const parent = join(dir, "root");
    const out = join(parent, "workspace");
    await mkdir(out, { recursive: true });
    const file = await tgz("a.tgz", sample);
    // An immutable parent refuses new entries even to root, as / refuses them to the CNB user.
    const lock = spawnSync("chattr", ["+i", parent], { encoding: "utf8" });
    expect(lock.status, `chattr +i needs ext4/xfs for ${dir}: ${lock.stderr}`).toBe(0);
    try {
      await extract(file, out, { strip: 1 });
    } finally {
      spawnSync("chattr", ["-i", parent]);
    }
    expect((await readdir(out)).sort()).toEqual(["bin", "lib"]);
    expect(await readdir(parent)).toEqual(["workspace"]);
  });

  test.each([
    ["tar.xz", ["-cJf"]],
    ["tar.zst", ["--zstd", "-cf"]],
    ["tar", ["-cf"]],
  ])("%s made by the system tar", async (ext, flags) => {
    const src = join(dir, "src");
    await mkdir(join(src, "pkg/bin"), { recursive: true });
    await writeFile(join(src, "pkg/bin/tool"), "tool", { mode: 0o755 });
    await symlink("bin/tool", join(src, "pkg/tool-link"));
    const file = join(dir, `pkg.${ext}`);
    execFileSync("tar", [...flags, file, "-C", src, "pkg"]);
    await extract(file, join(dir, "out"), { strip: 1 });
    expect(await readFile(join(dir, "out/bin/tool"), "utf8")).toBe("tool");
    expect((await stat(join(dir, "out/bin/tool"))).mode & 0o777).toBe(0o755);
    expect(await readlink(join(dir, "out/tool-link"))).toBe("bin/tool");
  });

  test("zip made by the zip tool, with modes and symlinks", async () => {
    const src = join(dir, "src");
    await mkdir(join(src, "pkg/bin"), { recursive: true });
    await writeFile(join(src, "pkg/bin/tool"), "tool", { mode: 0o750 });
    await symlink("bin/tool", join(src, "pkg/link"));
    const file = join(dir, "pkg.zip");
    execFileSync("zip", ["-q", "-r", "-y", file, "pkg"], { cwd: src });
    await extract(file, join(dir, "out"), { strip: 1 });
    expect(await readFile(join(dir, "out/bin/tool"), "utf8")).toBe("tool");
    expect((await stat(join(dir, "out/bin/tool"))).mode & 0o777).toBe(0o750);
    expect(await readlink(join(dir, "out/link"))).toBe("bin/tool");
  });

  test("the format comes from magic bytes when the name has no extension", async () => {
    const gz = await tgz("download-abc", sample);
    expect(await sniffFormat(gz)).toBe("tar.gz");
    const xz = join(dir, "blob");
    execFileSync("sh", ["-c", `printf hi | xz > ${xz}`]);
    expect(await sniffFormat(xz)).toBe("tar.xz");
    await extract(gz, join(dir, "out"));
    expect(await readFile(join(dir, "out/node-v24/lib/readme.txt"), "utf8")).toBe("hello");
  });

  test("entries emptied by strip are skipped", async () => {
    await extract(
      await tgz("a.tgz", [
        { name: "top", body: "x" },
        { name: "d/f", body: "y" },
      ]),
      join(dir, "out"),
      {
        strip: 1,
      },
    );
    expect(await readdir(join(dir, "out"))).toEqual(["f"]);
  });

  test("exclude leaves a subtree out (after strip) and keeps look-alike names", async () => {
    await extract(
      await tgz("node.tgz", [
        { name: "node-v24/include/node/node_api.h", body: "h" },
        { name: "node-v24/include/", type: "directory" },
        { name: "node-v24/includes.txt", body: "kept" },
        { name: "node-v24/bin/node", body: "n", mode: 0o755 },
      ]),
      join(dir, "out"),
      { strip: 1, exclude: ["include/"] },
    );
    expect((await readdir(join(dir, "out"))).sort()).toEqual(["bin", "includes.txt"]);
  });

  test("a hardlink to an excluded file is refused, not left dangling", async () => {
    const err = await cnbFailure(
      extract(
        await tgz("a.tgz", [
          { name: "p/include/a.h", body: "h" },
          { name: "p/bin/a.h", type: "link", linkname: "p/include/a.h" },
        ]),
        join(dir, "out"),
        { strip: 1, exclude: ["include"] },
      ),
    );
    expect(err.message).toContain('entry "p/bin/a.h" is a hardlink to "p/include/a.h"');
    expect(await leftovers()).toEqual([]);
  });

  test("files bigger than the write buffer arrive whole, with their mtime; small ones too", async () => {
    // 3 MiB + 123 bytes spans several gunzip chunks and several 1 MiB flushes.
    const big = randomBytes(3 * 1024 * 1024 + 123);
    const when = new Date("2021-06-01T12:00:00Z");
    const smalls = Array.from({ length: 50 }, (_, i) => ({ name: `p/s/${i % 5}/f${i}`, body: `small ${i}` }));
    await extract(
      await tgz("big.tgz", [{ name: "p/big.bin", body: big, mode: 0o600, mtime: when }, ...smalls]),
      join(dir, "out"),
      { strip: 1 },
    );
    const st = await stat(join(dir, "out/big.bin"));
    expect(st.size).toBe(big.length);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.mtime.getTime()).toBe(when.getTime());
    expect((await readFile(join(dir, "out/big.bin"))).equals(big)).toBe(true);
    for (const s of smalls) expect(await readFile(join(dir, "out", s.name.slice(2)), "utf8")).toBe(s.body);
  });
});

describe("extract refuses unsafe archives and leaves nothing behind", () => {
  test.each<[string, Entry[], string]>([
    ["an absolute path", [{ name: "/etc/evil", body: "x" }], 'entry "/etc/evil" has an absolute path'],
    ["a .. escape", [{ name: "a/../../evil", body: "x" }], 'entry "a/../../evil" has a ".." path component'],
    [
      "a symlink pointing outside",
      [{ name: "up", type: "symlink", linkname: "../../etc" }],
      'entry "up" is a symlink to "../../etc", outside the destination',
    ],
    [
      "an absolute symlink",
      [{ name: "etc", type: "symlink", linkname: "/etc" }],
      'entry "etc" is a symlink to "/etc", outside the destination',
    ],
    [
      "a write through a symlink",
      [
        { name: "real/", type: "directory" },
        { name: "alias", type: "symlink", linkname: "real" },
        { name: "alias/f", body: "x" },
      ],
      'entry "alias/f" would be written through the symlink "alias"',
    ],
    [
      "a hardlink to outside",
      [{ name: "h", type: "link", linkname: "/etc/passwd" }],
      'entry "h" is a hardlink to "/etc/passwd", which is not a file extracted from this archive',
    ],
    [
      "a file where a directory was made for earlier entries",
      [
        { name: "d/f", body: "x" },
        { name: "d", body: "y" },
      ],
      'entry "d" would replace a directory',
    ],
    [
      "a symlink redirected by a later symlink",
      [
        { name: "a", type: "symlink", linkname: "x/.." },
        { name: "x", type: "symlink", linkname: "." },
      ],
      'entry "a" is a symlink to "x/..", outside the destination',
    ],
  ])("%s", async (_what, entries, message) => {
    const file = await tgz("bad.tgz", [{ name: "ok.txt", body: "fine" }, ...entries]);
    const err = await cnbFailure(extract(file, join(dir, "out")));
    expect(err.message).toBe(`${file}: ${message}`);
    expect(await leftovers()).toEqual([]);
  });

  test("a truncated tar.gz is a clear one-line error", async () => {
    const file = await tgz("t.tar.gz", [{ name: "big", body: "x".repeat(200_000) }]);
    await truncate(file, (await stat(file)).size - 40);
    const err = await cnbFailure(extract(file, join(dir, "out")));
    expect(err.message).toMatch(new RegExp(`^${file}: cannot extract tar.gz archive: `));
    expect(err.message).not.toContain("\n");
    expect(await leftovers()).toEqual([]);
  });

  test("a truncated tar.xz reports xz's complaint", async () => {
    const src = join(dir, "src");
    await mkdir(src);
    await writeFile(join(src, "big"), Buffer.alloc(300_000, 7));
    const file = join(dir, "t.tar.xz");
    execFileSync("tar", ["-cJf", file, "-C", src, "big"]);
    await rm(src, { recursive: true });
    await truncate(file, (await stat(file)).size - 30);
    const err = await cnbFailure(extract(file, join(dir, "out")));
    expect(err.message).toBe(`${file}: cannot extract tar.xz archive: xz: Unexpected end of input`);
    expect(await leftovers()).toEqual([]);
  });

  test("a truncated zip", async () => {
    const src = join(dir, "src");
    await mkdir(src);
    await writeFile(join(src, "f"), "content");
    const file = join(dir, "t.zip");
    execFileSync("zip", ["-q", file, "f"], { cwd: src });
    await rm(src, { recursive: true });
    await truncate(file, 30);
    const err = await cnbFailure(extract(file, join(dir, "out")));
    expect(err.message).toMatch(new RegExp(`^${file}: cannot extract zip archive: `));
    expect(await leftovers()).toEqual([]);
  });

  test("a zip entry whose data was altered fails its CRC-32 check; a large entry streams intact", async () => {
    const src = join(dir, "src");
    await mkdir(src);
    await writeFile(join(src, "small.txt"), "a".repeat(1000));
    // Over the 1 MiB one-call limit (stored, not deflated: random bytes do not compress).
    const big = Buffer.from(Array.from({ length: (1 << 20) + 5000 }, (_, i) => (i * 7919) % 251));
    await writeFile(join(src, "big.bin"), big);
    const good = join(dir, "good.zip");
    execFileSync("zip", ["-q", "-0", good, "small.txt", "big.bin"], { cwd: src });
    await extract(good, join(dir, "good"));
    expect(await readFile(join(dir, "good/small.txt"), "utf8")).toBe("a".repeat(1000));
    expect((await readFile(join(dir, "good/big.bin"))).equals(big)).toBe(true);

    const bad = join(dir, "bad.zip");
    const bytes = await readFile(good);
    // small.txt's stored data follows its local header: 30 bytes, then its name and extra field.
    bytes[30 + bytes.readUInt16LE(26) + bytes.readUInt16LE(28) + 10] = "b".charCodeAt(0);
    await writeFile(bad, bytes);
    const err = await cnbFailure(extract(bad, join(dir, "out")));
    expect(err.message).toBe(`${bad}: cannot extract zip archive: small.txt: CRC-32 mismatch`);
    expect(await leftovers()).toEqual([]);
  });

  test("a large entry, deflated or stored, streams intact; altered, it fails its CRC-32 check", async () => {
    const src = join(dir, "src");
    await mkdir(src);
    // 3 MiB that deflate well (a binary's worth of repetition) and 1.5 MiB that do not.
    const text = Buffer.from("uv binary section ".repeat(180_000));
    const noise = Buffer.from(Array.from({ length: 1_500_000 }, (_, i) => (i * 7919) % 251));
    await writeFile(join(src, "deflated.bin"), text);
    await writeFile(join(src, "stored.bin"), noise);
    const good = join(dir, "large.zip");
    execFileSync("zip", ["-q", good, "deflated.bin"], { cwd: src });
    execFileSync("zip", ["-q", "-0", good, "stored.bin"], { cwd: src });
    await extract(good, join(dir, "good"));
    expect((await readFile(join(dir, "good/deflated.bin"))).equals(text)).toBe(true);
    expect((await readFile(join(dir, "good/stored.bin"))).equals(noise)).toBe(true);

    const bytes = await readFile(good);
    const storedAt = bytes.indexOf(Buffer.from("stored.bin")) + "stored.bin".length;
    const altered = Buffer.from(bytes);
    altered[storedAt + 500_000] = (altered[storedAt + 500_000]! + 1) % 256;
    const bad = join(dir, "bad-large.zip");
    await writeFile(bad, altered);
    const err = await cnbFailure(extract(bad, join(dir, "out")));
    expect(err.message).toBe(`${bad}: cannot extract zip archive: stored.bin: CRC-32 mismatch`);
    expect(await leftovers()).toEqual([]);
  });

  test("a failure leaves an existing destination untouched", async () => {
    const out = join(dir, "out");
    await mkdir(out);
    await writeFile(join(out, "keep.txt"), "mine");
    const file = await tgz("bad.tgz", [
      { name: "keep.txt", body: "replaced" },
      { name: "../x", body: "" },
    ]);
    await cnbFailure(extract(file, out));
    expect(await readdir(out)).toEqual(["keep.txt"]);
    expect(await readFile(join(out, "keep.txt"), "utf8")).toBe("mine");
    expect((await lstat(dir)).isDirectory()).toBe(true);
    expect((await readdir(dir)).filter((n) => n.startsWith("."))).toEqual([]);
  });
});

test("a full disk is said as such, naming the destination, not as a corrupt archive", async () => {
  const disk = join(dir, "disk");
  await mkdir(disk);
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk], { encoding: "utf8" });
  expect(m.status, m.stderr).toBe(0);
  try {
    const file = await tgz("big.tgz", [{ name: "node-v24/bin/node", body: randomBytes(3 * 1024 * 1024) }]);
    const dest = join(disk, "out");
    const err = await cnbFailure(extract(file, dest, { strip: 1 }));
    expect(err.message).toMatch(
      new RegExp(
        `^${dest}: no space left on device extracting big\\.tgz \\(3\\.0 MiB compressed, unpacks to more\\); 0\\.\\d MiB free there$`,
      ),
    );
    expect(err.hint).toBe("free space on that filesystem and build again");
    expect(await readdir(disk)).toEqual([]);
  } finally {
    spawnSync("umount", [disk]);
  }
});
