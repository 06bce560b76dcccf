import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { sha256File, writeDeterministicTarGzAtomic } from "./reproducible-tarball.js";

test("a packed tarball does not depend on when its files were made", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-tarball-test-"));
  try {
    for (const [run, when] of [
      ["one", 1_000_000],
      ["two", 2_000_000],
    ] as const) {
      await mkdir(join(dir, run, "jdk", "bin"), { recursive: true });
      await writeFile(join(dir, run, "jdk", "bin", "java"), "#!/bin/sh\n", { mode: 0o755 });
      await writeFile(join(dir, run, "jdk", "release"), 'JAVA_VERSION="17"\n');
      await utimes(join(dir, run, "jdk", "release"), when, when);
      await writeDeterministicTarGzAtomic(join(dir, run), "jdk", join(dir, `${run}.tar.gz`));
    }
    expect(await sha256File(join(dir, "one.tar.gz"))).toBe(await sha256File(join(dir, "two.tar.gz")));
    const listing = spawnSync("tar", ["tzvf", join(dir, "one.tar.gz")], { encoding: "utf8" }).stdout;
    expect(listing).toMatch(/-rwxr-xr-x 0\/0 .* jdk\/bin\/java/);
    expect(listing).not.toContain(".tmp");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
