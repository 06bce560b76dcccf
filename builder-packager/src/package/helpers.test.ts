import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readBuildpackToml } from "@cnbkit/framework/cnb-files";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildGoHelper, elfMachine } from "../compile/index.js";
import { declaredHelpers, stageHelpers } from "./helpers.js";
import { stageBuildpack } from "./stage.js";

// A prebuilt buildpack (bin/detect, bin/build as sh) with one helper: a Go main that prints
// a line. Staged for both arches with the host's go (~0.3 s a build with a warm Go cache).
let work: string;
let bp: string;
const cache = () => join(work, "cache");

const HELLO = `package main

import "fmt"

func main() { fmt.Println("hello from a helper") }
`;

const toml = (helpers: string) => `api = "0.12"
[buildpack]
id = "acme/helped"
version = "1.0.0"

[[targets]]
os = "linux"
arch = "amd64"

[[targets]]
os = "linux"
arch = "arm64"

[metadata.cnbkit]
helpers = ${helpers}
`;

/** Writes a buildpack dir with `buildpack.toml` text and a hello helper in `hello/`. */
async function buildpackDir(name: string, helpers: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, "bin"), { recursive: true });
  await mkdir(join(dir, "hello"), { recursive: true });
  await writeFile(join(dir, "buildpack.toml"), toml(helpers));
  for (const phase of ["detect", "build"])
    await writeFile(join(dir, "bin", phase), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  await writeFile(join(dir, "hello", "go.mod"), "module example.com/hello\n\ngo 1.22\n");
  await writeFile(join(dir, "hello", "main.go"), HELLO);
  return dir;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-helpers-"));
  bp = await buildpackDir("bp", '{ hello = "hello" }');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** True when the ELF file has neither a PT_INTERP nor a PT_DYNAMIC program header: statically linked. */
async function isStatic(path: string): Promise<boolean> {
  const elf = await readFile(path);
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const size = elf.readUInt16LE(0x36);
  const count = elf.readUInt16LE(0x38);
  for (let i = 0; i < count; i++) {
    const type = elf.readUInt32LE(phoff + i * size);
    if (type === 2 || type === 3) return false;
  }
  return count > 0;
}

const sha = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

test("staging builds each helper per target into bin/: static, the target's machine, executable, and it runs", async () => {
  const descriptor = await readBuildpackToml(bp);
  const lines: string[] = [];
  const staged = await stageBuildpack({
    dir: bp,
    descriptor,
    targets: ["linux/amd64", "linux/arm64"],
    workDir: join(work, "stage"),
    onProgress: (l) => lines.push(l),
  });
  for (const [target, dir] of Object.entries(staged.dirs)) {
    const bin = join(dir, "bin", "hello");
    expect(await elfMachine(bin)).toBe(target.split("/")[1]);
    expect(await isStatic(bin), target).toBe(true);
    expect((await stat(bin)).mode & 0o777).toBe(0o755);
  }
  expect(lines.filter((l) => l.startsWith("Helper hello for linux/"))).toHaveLength(2);
  if (process.arch === "x64") {
    const r = spawnSync(join(staged.dirs["linux/amd64"] as string, "bin", "hello"), { encoding: "utf8", env: {} });
    expect(r.stdout).toBe("hello from a helper\n");
  }
});

test("the same sources give byte-identical binaries (a fresh cache too); a second build reuses the cached one", async () => {
  const declared = declaredHelpers(bp, await readBuildpackToml(bp));
  const stage = async (name: string, cacheDir: string) => {
    const dir = join(work, name);
    const lines: string[] = [];
    await stageHelpers(declared, { "linux/arm64": dir }, "acme/helped 1.0.0", {
      cacheDir,
      onProgress: (l) => lines.push(l),
    });
    return { sha: await sha(join(dir, "bin", "hello")), lines };
  };
  const first = await stage("a", join(work, "cache-a"));
  const fresh = await stage("b", join(work, "cache-b"));
  const again = await stage("c", join(work, "cache-a"));
  expect(fresh.sha).toBe(first.sha);
  expect(again.sha).toBe(first.sha);
  expect(first.lines.join("\n")).toMatch(/built in/);
  expect(again.lines.join("\n")).toMatch(/Helper hello for linux\/arm64: [\d.]+ MB, static \(go[\d.]+, reused\)/);
});

test.each([
  ['{ "Hello World" = "hello" }', 'helper name "Hello World" may only contain lowercase letters'],
  ['{ build = "hello" }', `helper name "build" is the buildpack's own bin/build`],
  ['{ hello = "missing" }', 'helpers.hello: directory "missing" does not exist in'],
  ['{ hello = "/usr/src/hello" }', '"/usr/src/hello" must be a directory relative to the buildpack, not absolute'],
  ['{ hello = "../elsewhere" }', 'helpers.hello: directory "../elsewhere" does not exist in'],
  ["{ hello = 1 }", "helpers.hello must be a directory relative to the buildpack"],
  ['"hello"', 'helpers must be a table of name = "directory"'],
])("helpers = %s is one line naming buildpack.toml", async (helpers, message) => {
  const dir = join(work, "bad");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "buildpack.toml"), toml(helpers));
  await mkdir(join(dir, "hello"), { recursive: true });
  const descriptor = await readBuildpackToml(dir);
  const err = (() => {
    try {
      declaredHelpers(dir, descriptor);
    } catch (e) {
      return e as Error;
    }
  })();
  expect(err?.message).toContain(`${join(dir, "buildpack.toml")}: [metadata.cnbkit].helpers`);
  expect(err?.message).toContain(message);
  expect(err?.message.split("\n")).toHaveLength(1);
});

test("no go on PATH, a compile error and a third-party module are each one line naming the buildpack and the helper dir", async () => {
  const who = 'acme/helped 1.0.0 helper "hello"';
  const dir = join(bp, "hello");
  await expect(buildGoHelper({ dir, arch: "amd64", who, cacheDir: cache(), env: { PATH: work } })).rejects.toThrow(
    `${who}: no \`go\` on PATH to build it`,
  );

  const broken = join(work, "broken");
  await mkdir(broken, { recursive: true });
  await writeFile(join(broken, "go.mod"), "module example.com/broken\n\ngo 1.22\n");
  await writeFile(join(broken, "main.go"), "package main\n\nfunc main() { undefinedThing() }\n");
  const compile = await buildGoHelper({ dir: broken, arch: "amd64", who, cacheDir: cache() }).catch((e: Error) => e);
  expect((compile as Error).message).toMatch(
    /^acme\/helped 1\.0\.0 helper "hello": go build failed: .*main\.go:3:\d+: undefined: undefinedThing$/,
  );
  expect((compile as { hint?: string }).hint).toContain(`cd ${broken} && GOOS=linux GOARCH=amd64`);

  await writeFile(join(broken, "go.mod"), "module example.com/broken\n\ngo 1.22\n\nrequire golang.org/x/sys v0.30.0\n");
  await expect(buildGoHelper({ dir: broken, arch: "amd64", who, cacheDir: cache() })).rejects.toThrow(
    /requires other modules \("require golang\.org\/x\/sys v0\.30\.0"\)$/,
  );
  await rm(join(broken, "go.mod"));
  await expect(buildGoHelper({ dir: broken, arch: "amd64", who, cacheDir: cache() })).rejects.toThrow(
    `${who}: no go.mod in ${broken}`,
  );
});
