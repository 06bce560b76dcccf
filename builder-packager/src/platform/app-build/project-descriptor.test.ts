import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { buildApp } from "../index.js";
import { patternProblem, readProjectDescriptor } from "./project-descriptor.js";
import { copyWorkspace, gitignoreMatcher } from "./workspace.js";

async function appWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-project-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const V02 = `[_]
schema-version = "0.2"
id = "acme/app"

[io.buildpacks]
builder = "registry.example.com/acme/builder:1"
exclude = ["*.secret", "tmp/"]

[[io.buildpacks.build.env]]
name = "GREETING"
value = "hi"

[[io.buildpacks.group]]
uri = "./my-buildpack"

[[io.buildpacks.group]]
id = "cnbkit/nodejs"
version = "1.0.0"

[[io.buildpacks.group]]
id = "acme/inline"
  [io.buildpacks.group.script]
  api = "0.10"
  inline = "echo built"

[[io.buildpacks.pre.group]]
id = "cnbkit/ca-certificates"

[[io.buildpacks.post.group]]
uri = "registry.example.com/acme/post:1"
`;

test("schema 0.2: builder, exclude, build env, group with pre and post groups", async () => {
  const app = await appWith({ "project.toml": V02 });
  const p = await readProjectDescriptor(app);
  expect(p.builder).toBe("registry.example.com/acme/builder:1");
  expect(p.exclude).toEqual(["*.secret", "tmp/"]);
  expect(p.env).toEqual({ GREETING: "hi" });
  expect(p.group?.map((g) => ("ref" in g ? g.ref : g.inline))).toEqual([
    join(app, "my-buildpack"),
    "urn:cnb:builder:cnbkit/nodejs@1.0.0",
    { id: "acme/inline", version: "0.0.0", api: "0.10", shell: "/bin/sh", inline: "echo built" },
  ]);
  expect(p.pre?.map((g) => "ref" in g && g.ref)).toEqual(["urn:cnb:builder:cnbkit/ca-certificates"]);
  expect(p.post?.map((g) => "ref" in g && g.ref)).toEqual(["registry.example.com/acme/post:1"]);
});

test("schema 0.1 as pack reads it: [build] include, env and buildpacks", async () => {
  const app = await appWith({
    "project.toml": `[project]\nid = "old"\n[build]\ninclude = ["src/"]\n[[build.env]]\nname = "A"\nvalue = "1"\n[[build.buildpacks]]\nuri = "./bp"\n`,
  });
  const p = await readProjectDescriptor(app);
  expect(p.include).toEqual(["src/"]);
  expect(p.env).toEqual({ A: "1" });
  expect(p.group?.map((g) => "ref" in g && g.ref)).toEqual([join(app, "bp")]);
});

test("--descriptor points at another file; its relative uris are relative to it", async () => {
  const app = await appWith({ "ci/build.toml": `[io.buildpacks]\n[[io.buildpacks.group]]\nuri = "../bp"\n` });
  const p = await readProjectDescriptor(join(app, "nothing-here"), join(app, "ci/build.toml"));
  expect(p.group?.map((g) => "ref" in g && g.ref)).toEqual([join(app, "bp")]);
  await expect(readProjectDescriptor(app, join(app, "missing.toml"))).rejects.toThrow(/--descriptor .*cannot read it/);
});

test("an unknown schema, a bad pattern, include with exclude: one line with the file (and line)", async () => {
  const unknown = await appWith({ "project.toml": '[_]\nschema-version = "0.9"\n' });
  await expect(readProjectDescriptor(unknown)).rejects.toThrow(
    /project\.toml: \[_\] schema-version "0\.9" is not one cnbkit reads \(0\.1, 0\.2\)/,
  );
  const bad = await appWith({
    "project.toml": '[_]\nschema-version = "0.2"\n[io.buildpacks]\nexclude = [\n  "ok",\n  "[z-a].txt",\n]\n',
  });
  await expect(readProjectDescriptor(bad)).rejects.toThrow(
    /project\.toml:6: \[io\.buildpacks\] exclude pattern "\[z-a\]\.txt" has a bad character class/,
  );
  const both = await appWith({ "project.toml": '[io.buildpacks]\ninclude = ["a"]\nexclude = ["b"]\n' });
  await expect(readProjectDescriptor(both)).rejects.toThrow(/project\.toml:3: .*include or exclude, not both/);
  const noName = await appWith({ "project.toml": '[io.buildpacks]\n[[io.buildpacks.build.env]]\nvalue = "x"\n' });
  await expect(readProjectDescriptor(noName)).rejects.toThrow(/entry 1 needs a string name and value/);
});

test("pattern checks", () => {
  expect(patternProblem("")).toBe("is empty");
  expect(patternProblem("a\\")).toBe("ends in a lone backslash");
  expect(patternProblem("../x")).toMatch(/leaves the app directory/);
  expect(patternProblem("src/**/*.ts")).toBeUndefined();
  expect(patternProblem("[!a-c]x")).toBeUndefined();
});

test("gitignore matching (the ignore package): anchors, dir-only patterns, globstars, negation", () => {
  const m = gitignoreMatcher(["*.key", "/secret", "node_modules/", "src/**/*.ts", "!keep.key"]);
  expect(m("a/b/c.key", false)).toBe(true);
  expect(m("keep.key", false)).toBe(false);
  expect(m("a/secret", false)).toBe(false);
  expect(m("secret", false)).toBe(true);
  expect(m("x/node_modules", true)).toBe(true);
  expect(m("x/node_modules", false)).toBe(false);
  expect(m("src/a/b/c.ts", false)).toBe(true);
  expect(m("lib/c.ts", false)).toBe(false);
});

test("include copies only what it names, owned by the CNB user", async () => {
  const app = await appWith({
    "src/deep/a.js": "a",
    "docs/x.md": "x",
    "package.json": "{}",
    "project.toml": '[_]\nschema-version = "0.2"\n[io.buildpacks]\ninclude = ["src/", "package.json"]\n',
  });
  const ws = join(app, "..", `${app.split("/").pop()}-ws`);
  onTestFinished(() => rm(ws, { recursive: true, force: true }));
  const n = await copyWorkspace(app, ws, await readProjectDescriptor(app), { uid: 1000, gid: 1000 });
  expect(n).toBe(3);
  expect((await readdir(ws)).sort()).toEqual(["package.json", "project.toml", "src"]);
  expect((await stat(join(ws, "src/deep/a.js"))).uid).toBe(1000);
});

test("exclude skips matching files and whole directories at any depth, negation brings one back", async () => {
  const app = await appWith({
    "server.js": "s",
    "a.secret": "x",
    "keep.secret": "k",
    "tmp/big/file": "t",
    "config/prod.secret": "x",
    "config/keep.secret": "k",
    "config/app.json": "{}",
    "config/tmp/cache": "t",
    "project.toml": '[io.buildpacks]\nexclude = ["*.secret", "!keep.secret", "tmp/"]\n',
  });
  const ws = join(app, "..", `${app.split("/").pop()}-ws`);
  onTestFinished(() => rm(ws, { recursive: true, force: true }));
  const n = await copyWorkspace(app, ws, await readProjectDescriptor(app), { uid: 1000, gid: 1000 });
  expect((await readdir(ws)).sort()).toEqual(["config", "keep.secret", "project.toml", "server.js"]);
  // As git and pack read them, patterns without a slash match in every directory.
  expect((await readdir(join(ws, "config"))).sort()).toEqual(["app.json", "keep.secret"]);
  expect(n).toBe(5);
});

test("the build takes project.toml's builder when none is given; with neither it is one line", async () => {
  const none = await appWith({ "server.js": "" });
  const opts = { output: `oci:${join(none, "out")}`, cnbkitCache: join(none, "cache") };
  await expect(buildApp({ appDir: none, ...opts })).rejects.toThrow(
    /^no builder given: pass --builder <ref>, or set builder in project.toml's \[io.buildpacks\]$/,
  );
  const app = await appWith({ "project.toml": '[io.buildpacks]\nbuilder = "oci:/nonexistent/builder"\n' });
  const lines: string[] = [];
  await expect(buildApp({ appDir: app, ...opts, onOutput: (l) => lines.push(l) })).rejects.toThrow(
    /^builder oci:\/nonexistent\/builder not found or unreadable/,
  );
  expect(lines[0]).toBe(`Using builder oci:/nonexistent/builder (from ${join(app, "project.toml")})`);
});
