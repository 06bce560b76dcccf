import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { keepChanges, replayChanges, snapshotTree, treeDigest } from "./tree-changes.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-tree-changes-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** An app as a build script finds it: sources, an old dist/ and a lib/ that will become a file. */
async function app(dir: string): Promise<void> {
  await mkdir(join(dir, "src"), { recursive: true });
  await writeFile(join(dir, "src", "index.ts"), "export const a = 1;\n");
  await mkdir(join(dir, "dist", "old"), { recursive: true });
  await writeFile(join(dir, "dist", "old", "stale.js"), "stale\n");
  await mkdir(join(dir, "lib"));
  await writeFile(join(dir, "lib", "x.js"), "x\n");
  await writeFile(join(dir, "package.json"), "{}\n");
}

/** What the build script does: writes, rewrites, removes, links and changes a mode. */
async function script(dir: string): Promise<void> {
  await rm(join(dir, "dist", "old"), { recursive: true });
  await mkdir(join(dir, "dist", "assets", "empty"), { recursive: true });
  await writeFile(join(dir, "dist", "index.js"), "exports.a = 1;\n");
  await writeFile(join(dir, "dist", "assets", "run.sh"), "#!/bin/sh\n");
  await chmod(join(dir, "dist", "assets", "run.sh"), 0o755);
  await symlink("index.js", join(dir, "dist", "main.js"));
  await writeFile(join(dir, "package.json"), '{"built":true}\n');
  await rm(join(dir, "lib"), { recursive: true });
  await writeFile(join(dir, "lib"), "now a file\n");
}

describe("tree changes", () => {
  test("what a step changed, replayed on another copy of the tree, gives the same tree", async () => {
    const native = join(root, "native");
    const other = join(root, "other");
    const kept = join(root, "kept");
    await app(native);
    await app(other);
    await mkdir(kept);
    const before = await snapshotTree(native);
    await script(native);
    const changes = await keepChanges(native, before, kept);

    expect(changes.removed).toEqual(["dist/old", "lib"]);
    // Unchanged sources are not copied; only what the script made.
    expect((await readdir(kept, { recursive: true })).sort()).toEqual([
      "dist",
      "dist/assets",
      "dist/assets/empty",
      "dist/assets/run.sh",
      "dist/index.js",
      "dist/main.js",
      "lib",
      "package.json",
    ]);

    await replayChanges(kept, other, changes.removed);
    const list = async (d: string) => (await readdir(d, { recursive: true })).sort();
    expect(await list(other)).toEqual(await list(native));
    expect(await readFile(join(other, "lib"), "utf8")).toBe("now a file\n");
    expect(await readFile(join(other, "package.json"), "utf8")).toBe('{"built":true}\n');
    expect(await readlink(join(other, "dist", "main.js"))).toBe("index.js");
    expect((await lstat(join(other, "dist", "assets", "run.sh"))).mode & 0o777).toBe(0o755);
    expect(await treeDigest(other)).toBe(await treeDigest(native));
  });

  test("a link to a directory is one entry, never walked (Node 20's recursive readdir followed it)", async () => {
    const dir = join(root, "app");
    await app(dir);
    await mkdir(join(root, "layer", "node_modules", "left-pad"), { recursive: true });
    await writeFile(join(root, "layer", "node_modules", "left-pad", "index.js"), "x\n");
    await symlink(join(root, "layer", "node_modules"), join(dir, "node_modules"));
    const snap = await snapshotTree(dir);
    expect(snap.get("node_modules")?.kind).toBe("link");
    expect([...snap.keys()].filter((p) => p.startsWith("node_modules/"))).toEqual([]);
  });

  test("a removed path outside the tree is refused", async () => {
    await mkdir(join(root, "kept"));
    await expect(replayChanges(join(root, "kept"), join(root, "app"), ["../etc"])).rejects.toThrow(/not a path inside/);
    await expect(replayChanges(join(root, "kept"), join(root, "app"), ["/etc"])).rejects.toThrow(/not a path inside/);
  });

  test("the digest leaves ignored names out at any depth, and sees a content or mode change", async () => {
    const dir = join(root, "app");
    await app(dir);
    const first = await treeDigest(dir, { ignore: ["node_modules"] });
    await mkdir(join(dir, "packages", "web", "node_modules", "left-pad"), { recursive: true });
    await writeFile(join(dir, "packages", "web", "node_modules", "left-pad", "index.js"), "x\n");
    expect(await treeDigest(dir, { ignore: ["node_modules"] })).toBe(first);
    await chmod(join(dir, "package.json"), 0o755);
    const moded = await treeDigest(dir, { ignore: ["node_modules"] });
    expect(moded).not.toBe(first);
    await writeFile(join(dir, "src", "index.ts"), "export const a = 2;\n");
    expect(await treeDigest(dir, { ignore: ["node_modules"] })).not.toBe(moded);
  });
});
