/**
 * Buildpack fixtures for the package and builder tests: small prebuilt (shell) buildpacks
 * written into a temp dir, a framework-style TS entry that the compile stage turns into a
 * real binary, and helpers that read what skopeo and umoci see.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Writes a prebuilt shell buildpack whose detect passes and whose build writes a launch layer. */
export async function writeShellBuildpack(
  dir: string,
  opts: { id: string; version: string; api?: string; extraToml?: string; marker?: string },
): Promise<string> {
  await mkdir(join(dir, "bin"), { recursive: true });
  await writeFile(
    join(dir, "buildpack.toml"),
    `api = "${opts.api ?? "0.10"}"\n[buildpack]\nid = "${opts.id}"\nversion = "${opts.version}"\nname = "${opts.id} shell"\nhomepage = "https://example.com/${opts.id}?a=1&b=<2>"\n\n[[targets]]\nos = "linux"\narch = "amd64"\n${opts.extraToml ?? ""}`,
  );
  const marker = opts.marker ?? opts.id.replaceAll("/", "_");
  await writeFile(join(dir, "bin", "detect"), "#!/bin/sh\nexit 0\n");
  await writeFile(
    join(dir, "bin", "build"),
    `#!/bin/sh\nset -e\nmkdir -p "$CNB_LAYERS_DIR/${marker}"\necho built > "$CNB_LAYERS_DIR/${marker}/proof"\nprintf '[types]\\nlaunch = true\\n' > "$CNB_LAYERS_DIR/${marker}.toml"\necho "built ${opts.id}"\n`,
  );
  await writeFile(join(dir, "README.md"), "a plain file\n");
  // Odd modes on purpose: packaging normalises them the way pack does.
  await chmod(join(dir, "bin", "detect"), 0o700);
  await chmod(join(dir, "bin", "build"), 0o744);
  await chmod(join(dir, "README.md"), 0o600);
  return dir;
}

/**
 * Writes a buildpack whose `src/index.ts` is compiled by the compile stage. It uses only
 * Node's API (the framework's `buildpack()` entry is not exported from the package root
 * yet): detect passes when the app has `hello.txt`, build writes a launch layer and a
 * process.
 */
export async function writeCompiledBuildpack(dir: string, opts: { id: string; version: string }): Promise<string> {
  await mkdir(join(dir, "src"), { recursive: true });
  await writeFile(
    join(dir, "buildpack.toml"),
    `api = "0.12"\n[buildpack]\nid = "${opts.id}"\nversion = "${opts.version}"\nname = "Compiled"\n\n[[targets]]\nos = "linux"\narch = "amd64"\n\n[[targets]]\nos = "linux"\narch = "arm64"\n`,
  );
  await writeFile(
    join(dir, "src", "index.ts"),
    `import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const phase = basename(process.argv[1] ?? "");
const layers = process.env.CNB_LAYERS_DIR ?? "";
if (phase === "detect") {
  process.exit(existsSync("hello.txt") ? 0 : 100);
} else if (phase === "build") {
  mkdirSync(join(layers, "greeting"), { recursive: true });
  writeFileSync(join(layers, "greeting", "message"), "compiled hello from " + process.arch);
  writeFileSync(join(layers, "greeting.toml"), "[types]\\nlaunch = true\\n");
  writeFileSync(join(layers, "launch.toml"), '[[processes]]\\ntype = "web"\\ncommand = ["cat", "hello.txt"]\\ndefault = true\\n');
  console.log("compiled buildpack built on " + process.arch);
}
`,
  );
  await writeFile(join(dir, "package.json"), '{"name":"compiled-fixture","private":true}\n');
  return dir;
}

/** `skopeo inspect` (config + labels) of a reference such as `oci:dir:latest`. */
export async function skopeoInspect(
  ref: string,
  extra: string[] = [],
): Promise<{
  Labels: Record<string, string>;
  Architecture: string;
  Os: string;
  Layers: string[];
  Digest: string;
}> {
  const { stdout } = await run("skopeo", ["inspect", ...extra, ref], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout);
}

/** `skopeo inspect --config` of a reference. */
export async function skopeoConfig(
  ref: string,
  extra: string[] = [],
): Promise<{
  architecture: string;
  os: string;
  config: { Labels?: Record<string, string>; Env?: string[]; User?: string; WorkingDir?: string };
  rootfs: { diff_ids: string[] };
}> {
  const { stdout } = await run("skopeo", ["inspect", "--config", ...extra, ref], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout);
}

/** `umoci unpack --image <layout>:<tag> <bundle>`; returns the rootfs path. */
export async function umociUnpack(layout: string, tag: string, bundle: string): Promise<string> {
  await run("umoci", ["unpack", "--image", `${layout}:${tag}`, bundle], { maxBuffer: 64 << 20 });
  return join(bundle, "rootfs");
}
