/**
 * .deb extraction through archive.ts's extract: the data tar lands (gz, xz, zst, plain), the
 * control tar never does, its entries get every check other archives get, and a package that
 * is not one fails in one line. The .debs are written here as `ar` bytes (dpkg-deb's layout:
 * debian-binary, control.tar.*, data.tar.*), so odd member sizes and bad headers can be made.
 */
import { spawnSync } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import { expect, test } from "vitest";
import { tempDirPerTest } from "../testing/test-temp-dir.js";
import { debData } from "./archive-deb.js";
import { extract, sniffFormat } from "./archive.js";

let dir: string;
tempDirPerTest("deb", (d) => {
  dir = d;
});

/** A tar of `files` (name → body), as dpkg-deb writes them: `./`-prefixed. */
async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on("data", (c: unknown) => chunks.push(c as Buffer));
    pack.on("end", () => resolve()).on("error", reject);
  });
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o755 }, body);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** An ar archive of `members`, GNU style ("name/"), odd sizes padded with "\n". */
function ar(members: [string, Buffer][]): Buffer {
  const parts: Buffer[] = [Buffer.from("!<arch>\n")];
  for (const [name, body] of members) {
    const h = `${`${name}/`.padEnd(16)}${"0".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"100644".padEnd(8)}${String(body.length).padEnd(10)}\`\n`;
    parts.push(Buffer.from(h, "latin1"), body);
    if (body.length % 2 === 1) parts.push(Buffer.from("\n"));
  }
  return Buffer.concat(parts);
}

function compress(tool: "xz" | "zstd", data: Buffer): Buffer {
  const r = spawnSync(tool, ["-c", "-q"], { input: data });
  if (r.status !== 0) throw new Error(`${tool}: ${r.stderr}`);
  return r.stdout;
}

async function deb(name: string, data: [string, Buffer], control = "Package: x\n"): Promise<string> {
  const file = join(dir, name);
  const controlTar = gzipSync(await tarOf({ "./control": control }));
  await writeFile(file, ar([["debian-binary", Buffer.from("2.0\n")], ["control.tar.gz", controlTar], data]));
  return file;
}

test.each([
  ["data.tar.xz", (t: Buffer) => compress("xz", t)],
  ["data.tar.gz", (t: Buffer) => gzipSync(t)],
  ["data.tar.zst", (t: Buffer) => compress("zstd", t)],
  ["data.tar", (t: Buffer) => t],
])("a .deb with %s: its files land with strip applied, its control files do not", async (member, pack) => {
  // An odd-sized control member makes the data member start at a padded offset.
  const data = await tarOf({ "./usr/sbin/tool": "#!/bin/sh\necho hi\n", "./usr/share/doc/x/copyright": "BSD" });
  const file = await deb("x_1.0_amd64.deb", [member, pack(data)], "Package: odd\n");
  const dest = join(dir, "layer");
  await extract(file, dest, { strip: 1, exclude: ["share"] });
  expect((await readdir(dest)).sort()).toEqual(["sbin"]);
  expect(await readFile(join(dest, "sbin/tool"), "utf8")).toBe("#!/bin/sh\necho hi\n");
  expect(spawnSync(join(dest, "sbin/tool"), { encoding: "utf8" }).stdout).toBe("hi\n");
});

test("the format is known by the ar magic when the name does not say .deb", async () => {
  const file = await deb("download", ["data.tar.gz", gzipSync(await tarOf({ "./a": "1" }))]);
  expect(await sniffFormat(file)).toBe("deb");
  await extract(file, join(dir, "out"));
  expect(await readFile(join(dir, "out/a"), "utf8")).toBe("1");
});

test("a data entry that climbs out with .. is refused like in any archive, and nothing lands", async () => {
  const file = await deb("evil.deb", ["data.tar.gz", gzipSync(await tarOf({ "./ok": "1", "../../escape": "x" }))]);
  const dest = join(dir, "layer");
  await expect(extract(file, dest)).rejects.toThrow(
    /evil\.deb: entry "\.\.\/\.\.\/escape" has a "\.\." path component/,
  );
  await expect(readdir(dest)).rejects.toThrow(/ENOENT/);
});

test("not an ar, a member running past the end, no data member, a corrupt data tar: one line each", async () => {
  const notAr = join(dir, "not.deb");
  await writeFile(notAr, "hello, world\n");
  await expect(extract(notAr, join(dir, "o1"))).rejects.toThrow(
    /not\.deb: not a Debian package \(no "!<arch>" header\)$/,
  );

  const whole = await readFile(await deb("t.deb", ["data.tar.gz", gzipSync(await tarOf({ "./a": "1" }))]));
  const cut = join(dir, "cut.deb");
  await writeFile(cut, whole.subarray(0, whole.length - 40));
  await expect(debData(cut)).rejects.toThrow(/cut\.deb: ar member "data\.tar\.gz" claims \d+ bytes past the end/);

  const noData = join(dir, "nodata.deb");
  await writeFile(noData, ar([["debian-binary", Buffer.from("2.0\n")]]));
  await expect(extract(noData, join(dir, "o2"))).rejects.toThrow(
    /nodata\.deb: Debian package has no data\.tar member \(members: debian-binary\)$/,
  );

  const corrupt = await deb("corrupt.deb", ["data.tar.xz", Buffer.from("\xfd7zXZ\0 not really xz")]);
  await expect(extract(corrupt, join(dir, "o3"))).rejects.toThrow(/corrupt\.deb: cannot extract deb archive: xz: /);
});
