import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { openRootfsView } from "./rootfs-view.js";

test("writes through the view never reach the cached rootfs, and release removes the view", async () => {
  const lower = await mkdtemp(join(tmpdir(), "cnbkit-lower-"));
  await mkdir(join(lower, "etc"));
  await writeFile(join(lower, "etc/file"), "original");
  const lines: string[] = [];
  const view = await openRootfsView(lower, (l) => lines.push(l));
  try {
    expect(await readFile(join(view.path, "etc/file"), "utf8")).toBe("original");
    await writeFile(join(view.path, "etc/file"), "changed");
    await writeFile(join(view.path, "new"), "x");
    expect(await readFile(join(view.path, "etc/file"), "utf8")).toBe("changed");
    expect(await readFile(join(lower, "etc/file"), "utf8")).toBe("original");
    expect(existsSync(join(lower, "new"))).toBe(false);
    expect(view.kind).toBe("overlay"); // we run as root here
    expect(lines[0]).toMatch(/overlayfs/);
  } finally {
    await view.release();
    await view.release();
  }
  expect(existsSync(view.path)).toBe(false);
  await rm(lower, { recursive: true });
});
