import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openBuildView } from "./build-view.js";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-build-view-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A builder rootfs with /workspace and /layers as given (empty dirs by default). */
async function rootfs(name: string, files: Record<string, string> = {}): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, "workspace"), { recursive: true });
  await mkdir(join(dir, "layers"), { recursive: true });
  await mkdir(join(dir, "etc"), { recursive: true });
  await writeFile(join(dir, "etc", "os-release"), "x");
  for (const [path, text] of Object.entries(files)) await writeFile(join(dir, path), text);
  return dir;
}

const seedApp = async (root: string) => {
  await mkdir(join(root, "workspace", "node_modules"), { recursive: true });
  await writeFile(join(root, "workspace", "server.js"), "app");
  await mkdir(join(root, "layers"));
};

test("the app made in the upper dir before the mount is /workspace; a dir moves from it into /layers by rename", async () => {
  const lower = await rootfs("empty");
  const lines: string[] = [];
  const { view, seeded } = await openBuildView(lower, work, (l) => lines.push(l), seedApp);
  try {
    expect(seeded).toBe(true); // we run as root here
    expect(lines.join("\n")).toMatch(/made in its upper dir before the mount/);
    expect(await readFile(join(view.path, "workspace", "server.js"), "utf8")).toBe("app");
    expect(await readFile(join(view.path, "etc", "os-release"), "utf8")).toBe("x");
    // A buildpack's move of node_modules into a layer is a rename on one mount (no EXDEV).
    await rename(join(view.path, "workspace", "node_modules"), join(view.path, "layers", "node_modules"));
    expect(await readdir(lower)).toEqual(["etc", "layers", "workspace"]);
    expect(await readdir(join(lower, "workspace"))).toEqual([]);
  } finally {
    await view.release();
  }
  expect(existsSync(view.path)).toBe(false);
});

test("a builder with files in /workspace gets container/'s view, and the caller's copy deletes them", async () => {
  const lower = await rootfs("full", { "workspace/stale.txt": "from the builder image" });
  let ran = false;
  const { view, seeded } = await openBuildView(
    lower,
    work,
    () => {},
    async () => {
      ran = true;
    },
  );
  try {
    expect(seeded).toBe(false);
    expect(ran).toBe(false);
    expect(existsSync(join(view.path, "workspace", "stale.txt"))).toBe(true);
  } finally {
    await view.release();
  }
});

test("a seed that fails leaves nothing behind and its error is the build's", async () => {
  const lower = await rootfs("failing");
  const before = await readdir(work);
  await expect(
    openBuildView(
      lower,
      work,
      () => {},
      async () => {
        throw new Error("app dir unreadable");
      },
    ),
  ).rejects.toThrow("app dir unreadable");
  expect(await readdir(work)).toEqual(before);
});
