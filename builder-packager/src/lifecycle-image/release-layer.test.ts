/**
 * What a release tarball becomes in the lifecycle layer, and the tarballs refused in one
 * line: an entry that climbs out, a device, no lifecycle.toml, not a gzip'd tar.
 */
import { createWriteStream } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import tar from "tar-stream";
import { describe, expect, test } from "vitest";
import { tempDirPerFile } from "../../../test/support/temp-dir.js";
import { CnbError } from "@cnbkit/framework";
import { releaseLayer } from "./release-layer.js";

const TOML =
  '[apis.buildpack]\nsupported = ["0.12"]\n[apis.platform]\nsupported = ["0.15"]\n[lifecycle]\nversion = "9.9.9"\n';
let work = "";
tempDirPerFile("release-layer", (d) => {
  work = d;
});

/** A header as `pack.entry` takes it (whichever tar-stream types are installed), plus its content. */
type Entry = Parameters<ReturnType<typeof tar.pack>["entry"]>[0] & { content?: string };

/** A gzip'd tar of `entries` at `<work>/<name>.tgz`. */
async function tgz(name: string, entries: Entry[]): Promise<string> {
  const pack = tar.pack();
  const file = join(work, `${name}.tgz`);
  const done = pipeline(pack, createGzip(), createWriteStream(file));
  for (const { content, ...h } of entries) {
    const header = { mtime: new Date(1_700_000_000_000), uid: 1001, ...h };
    if (content === undefined) pack.entry(header);
    else pack.entry(header, content);
  }
  pack.finalize();
  await done;
  return file;
}

const release: Entry[] = [
  { name: "lifecycle.toml", content: TOML, mode: 0o644 },
  { name: "lifecycle/", type: "directory", mode: 0o755 },
  { name: "lifecycle/lifecycle", content: "ELF", mode: 0o755 },
  { name: "lifecycle/analyzer", type: "symlink", linkname: "lifecycle", mode: 0o777 },
  { name: "lifecycle/launcher", content: "LAUNCH", mode: 0o755 },
  { name: "lifecycle/launcher-copy", type: "link", linkname: "lifecycle/launcher", mode: 0o755 },
];

describe("releaseLayer", () => {
  test("every entry under /cnb, root-owned with its mode; lifecycle.toml read and kept at /cnb/lifecycle.toml", async () => {
    const { entries, descriptor } = await releaseLayer(await tgz("ok", release), join(work, "ok"), "--version");
    expect(descriptor).toEqual({
      version: "9.9.9",
      apis: { buildpack: { deprecated: [], supported: ["0.12"] }, platform: { deprecated: [], supported: ["0.15"] } },
    });
    const shape = entries.map((e) => [e.path, e.type, e.mode?.toString(8), e.uid, e.gid]);
    expect(shape).toEqual([
      ["cnb", "dir", "755", 0, 0],
      ["cnb/lifecycle.toml", "file", "644", 0, 0],
      ["cnb/lifecycle", "dir", "755", 0, 0],
      ["cnb/lifecycle/lifecycle", "file", "755", 0, 0],
      ["cnb/lifecycle/analyzer", "symlink", "777", 0, 0],
      ["cnb/lifecycle/launcher", "file", "755", 0, 0],
      ["cnb/lifecycle/launcher-copy", "hardlink", "755", 0, 0],
    ]);
    const bin = entries[3] as { sourcePath: string };
    expect(await readFile(bin.sourcePath, "utf8")).toBe("ELF");
    expect(entries[4]).toMatchObject({ target: "lifecycle" });
    expect(entries[6]).toMatchObject({ target: "cnb/lifecycle/launcher" });
  });

  test("lifecycle/lifecycle.toml, which the first official image tool stripped, is left out", async () => {
    const file = await tgz("inner-toml", [...release, { name: "lifecycle/lifecycle.toml", content: TOML }]);
    const { entries } = await releaseLayer(file, join(work, "inner-toml"), "--version");
    expect(entries.map((e) => e.path)).not.toContain("cnb/lifecycle/lifecycle.toml");
  });

  test.each([
    [
      "climbs out",
      [...release, { name: "../../etc/passwd", content: "x" }],
      'the release tarball has an entry outside it: "../../etc/passwd"',
    ],
    [
      "a device",
      [...release, { name: "lifecycle/null", type: "character-device" }],
      'the release tarball\'s "lifecycle/null" is a character-device, not a file, directory or link',
    ],
    ["no lifecycle.toml", release.slice(1), "the release tarball has no top-level lifecycle.toml"],
    ["no version", [{ name: "lifecycle.toml", content: "[apis]\n" }], "lifecycle.toml: [lifecycle] version is missing"],
  ] as [string, Entry[], string][])("a tarball whose entry %s: one line", async (name, entries, message) => {
    const file = await tgz(name.replaceAll(" ", "-"), entries);
    const err = await releaseLayer(file, join(work, name.replaceAll(" ", "-")), "--version").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CnbError);
    expect((err as CnbError).message).toBe(`--version: ${message}`);
  });

  test("a file that is not a gzip'd tar: one line naming it", async () => {
    const file = join(work, "not.tgz");
    await writeFile(file, "<html>404</html>");
    const err = await releaseLayer(file, join(work, "not"), "--version").catch((e: unknown) => e);
    expect((err as CnbError).message).toMatch(new RegExp(`^--version: ${file} is not a gzip'd tar: `));
    expect((err as CnbError).message).not.toContain("\n");
  });
});
