import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { treeDigest } from "./index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-digest-"));
  await mkdir(join(dir, "cmd", "server"), { recursive: true });
  await mkdir(join(dir, "target"), { recursive: true });
  await writeFile(join(dir, "go.mod"), "module example.com/app\n");
  await writeFile(join(dir, "cmd", "server", "main.go"), "package main\n");
  await writeFile(join(dir, "target", "app"), "binary");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("the digest is the sha256 of path, mode and content lines, the format appOutput's keys already use", async () => {
  const line = (path: string, body: string) => `${path}\0-${createHash("sha256").update(body).digest("hex")}\n`;
  const expected = createHash("sha256")
    .update(line("cmd/server/main.go", "package main\n"))
    .update(line("go.mod", "module example.com/app\n"))
    .digest("hex");
  expect(await treeDigest(dir, { ignore: ["target"] })).toBe(expected);
});

test("a bare name is ignored at any depth; a path only where it is", async () => {
  const top = await treeDigest(dir, { ignore: ["/target"] });
  await mkdir(join(dir, "cmd", "target"));
  await writeFile(join(dir, "cmd", "target", "x.go"), "package target\n");
  // A source package named like the output dir still counts with an anchored path ...
  expect(await treeDigest(dir, { ignore: ["/target"] })).not.toBe(top);
  // ... and the output dir's own files never do.
  const anchored = await treeDigest(dir, { ignore: ["/target"] });
  await writeFile(join(dir, "target", "app"), "rebuilt binary");
  expect(await treeDigest(dir, { ignore: ["/target"] })).toBe(anchored);
  expect(await treeDigest(dir, { ignore: ["target"] })).toBe(top);
});

test("mtimes do not count, links count by their target and are not followed", async () => {
  const before = await treeDigest(dir);
  await utimes(join(dir, "go.mod"), new Date(2000, 0, 1), new Date(2000, 0, 1));
  expect(await treeDigest(dir)).toBe(before);
  await symlink("/etc", join(dir, "etc"));
  const linked = await treeDigest(dir);
  expect(linked).not.toBe(before);
  await rm(join(dir, "etc"));
  await symlink("/usr", join(dir, "etc"));
  expect(await treeDigest(dir)).not.toBe(linked);
});

test("onFile gets each file it hashed with its contents, once, and neither links nor ignored files", async () => {
  await symlink("go.mod", join(dir, "go.mod.link"));
  const seen: Record<string, string> = {};
  const digest = await treeDigest(dir, {
    ignore: ["target"],
    onFile: (path, contents) => {
      expect(seen[path]).toBeUndefined();
      seen[path] = contents.toString("utf8");
    },
  });
  expect(seen).toEqual({ "cmd/server/main.go": "package main\n", "go.mod": "module example.com/app\n" });
  expect(digest).toBe(await treeDigest(dir, { ignore: ["target"] }));
});
