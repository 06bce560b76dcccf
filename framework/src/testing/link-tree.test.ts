import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, readFile, readlink, rename, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { buildpack } from "../contract/index.js";
import { removeTempDirs, runBuild } from "./index.js";

afterAll(removeTempDirs);

const big = randomBytes(256 * 1024);

/** A toolchain-like cache layer: a binary, a link, a private dir, and a state file each build writes anew. */
const bp = buildpack({
  detect: (ctx) => ctx.pass({}),
  async build(ctx) {
    const tools = await ctx.layers.cached("tools", {
      types: { build: true, cache: true },
      key: { v: 1 },
      async fill(l) {
        await mkdir(join(l.path, "bin"));
        await mkdir(join(l.path, "private"));
        await chmod(join(l.path, "private"), 0o700);
        await writeFile(join(l.path, "bin", "go"), big, { mode: 0o755 });
        await symlink("bin/go", join(l.path, "go"));
      },
    });
    const state = join(tools.path, "state");
    if (ctx.platform.env.IN_PLACE) await writeFile(state, `build ${ctx.platform.env.RUN}\n`);
    else {
      // What most tools do: a new file renamed over the old one.
      await writeFile(`${state}.new`, `build ${ctx.platform.env.RUN}\n`);
      await rename(`${state}.new`, state);
    }
    return {};
  },
});

test("restore hard-links the cache layers' files instead of copying them, modes and links kept", async () => {
  const first = await runBuild(bp, { platformEnv: { RUN: "1" } });
  const second = await runBuild(bp, { restore: first.layers, platformEnv: { RUN: "2" } });
  expect(second.layer("tools").state.kind).toBe("restored");
  const [a, b] = [join(first.layers, "tools"), join(second.layers, "tools")];
  expect((await stat(join(b, "bin", "go"))).ino).toBe((await stat(join(a, "bin", "go"))).ino);
  expect((await stat(join(b, "bin", "go"))).mode & 0o777).toBe(0o755);
  expect(await readFile(join(b, "bin", "go"))).toEqual(big);
  expect(await readlink(join(b, "go"))).toBe("bin/go");
  expect((await lstat(join(b, "private"))).mode & 0o777).toBe(0o700);
  // A file replaced by rename is the new run's own; the previous run's stays as it was.
  expect(await readFile(join(b, "state"), "utf8")).toBe("build 2\n");
  expect(await readFile(join(a, "state"), "utf8")).toBe("build 1\n");
  const third = await runBuild(bp, { restore: second.layers, platformEnv: { RUN: "3" } });
  expect(third.layer("tools").state.kind).toBe("restored");
});

test('restoreBy: "copy" gives the run its own files, for a build that rewrites them in place', async () => {
  const first = await runBuild(bp, { platformEnv: { RUN: "1", IN_PLACE: "1" } });
  const second = await runBuild(bp, {
    restore: first.layers,
    restoreBy: "copy",
    platformEnv: { RUN: "2", IN_PLACE: "1" },
  });
  const [a, b] = [join(first.layers, "tools"), join(second.layers, "tools")];
  expect((await stat(join(b, "bin", "go"))).ino).not.toBe((await stat(join(a, "bin", "go"))).ino);
  expect(await readFile(join(a, "state"), "utf8")).toBe("build 1\n");
  expect(await readFile(join(b, "state"), "utf8")).toBe("build 2\n");
});
