/**
 * A test inventory for the harness: the real buildpack.toml with its CPython entries replaced
 * by one file:// tarball in python-build-standalone's install_only layout, made once from
 * this machine's python3.11 (Debian's: binary plus /usr/lib/python3.11) and cached under
 * ~/.cache/cnbkit/test-python. The tools (pip, uv, Poetry, Pipenv, servers) stay the real
 * inventory entries, downloaded from PyPI and verified.
 *
 * By default the tarball carries its stdlib's bytecode, as the reference builder's local CPython
 * does, so a test build does not compile the stdlib; `{ bytecode: false }` gives one without
 * any, as python-build-standalone ships them.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rename, rm, symlink } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { stdlibExclusions } from "../compile-all.js";

const REAL_BUILDPACK_TOML = new URL("../../buildpack.toml", import.meta.url);

/** The host interpreter's version, e.g. "3.11.7". */
export function hostPythonVersion(): string {
  const r = spawnSync("/usr/bin/python3.11", ["-c", "import platform; print(platform.python_version())"], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`python3.11 is needed for these tests: ${r.stderr}`);
  return r.stdout.trim();
}

/** Which tarball: with the stdlib's bytecode (default), or without, as python-build-standalone's. */
export interface TestCpythonOptions {
  bytecode?: boolean;
}

/** Builds (once) the install_only tarball of the host's python3.11; returns its path. */
export async function localCPythonTarball(opts: TestCpythonOptions = {}): Promise<string> {
  const bytecode = opts.bytecode ?? true;
  const version = hostPythonVersion();
  const cache = join(homedir(), ".cache", "cnbkit", "test-python");
  const out = join(cache, `cpython-${version}-host-install_only${bytecode ? "-pyc" : ""}.tar.gz`);
  if (existsSync(out)) return out;
  await mkdir(cache, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), "cnbkit-testpy-"));
  try {
    const root = join(work, "python");
    await mkdir(join(root, "bin"), { recursive: true });
    await cp("/usr/bin/python3.11", join(root, "bin", "python3.11"));
    await symlink("python3.11", join(root, "bin", "python3"));
    await symlink("python3", join(root, "bin", "python"));
    await cp("/usr/lib/python3.11", join(root, "lib", "python3.11"), { recursive: true, dereference: true });
    for (const extra of ["EXTERNALLY-MANAGED", "dist-packages", "site-packages", "test", "idlelib", "tkinter"]) {
      await rm(join(root, "lib", "python3.11", extra), { recursive: true, force: true });
    }
    // Debian's own .pyc (copied above) are timestamp ones: they never go in.
    const stdlib = join(root, "lib", "python3.11");
    await removePycache(stdlib);
    if (bytecode) {
      const args = ["-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"];
      const c = spawnSync(join(root, "bin", "python3"), [...args, "-x", stdlibExclusions(stdlib), stdlib], {
        encoding: "utf8",
      });
      if (c.status !== 0) throw new Error(`compileall failed: ${c.stderr}${c.stdout}`);
    }
    const tmp = `${out}.${process.pid}.tmp`;
    const r = spawnSync("tar", ["czf", tmp, "-C", work, "python"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
    await rename(tmp, out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return out;
}

/** Removes every __pycache__ below `dir`. */
async function removePycache(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isDirectory() && e.name === "__pycache__")
      await rm(join(e.parentPath, e.name), { recursive: true, force: true });
  }
}

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk);
  return h.digest("hex");
}

/** buildpack.toml text with one CPython (the host's, as file://) for linux/amd64, default = its line. */
export async function testBuildpackToml(opts: TestCpythonOptions = {}): Promise<{ toml: string; version: string }> {
  const version = hostPythonVersion();
  const file = await localCPythonTarball(opts);
  const sha = await sha256(file);
  const real = readFileSync(REAL_BUILDPACK_TOML, "utf8");
  const blocks = real.split("[[metadata.dependencies]]");
  const kept = blocks.slice(1).filter((b) => !/id = "cpython"/.test(b));
  const cpython = [
    "",
    '  id = "cpython"',
    '  name = "CPython"',
    `  version = "${version}"`,
    '  os = "linux"',
    '  arch = "amd64"',
    `  uri = "file://${file}"`,
    `  sha256 = "${sha}"`,
    `  purl = "pkg:generic/cpython@${version}?checksum=${sha}"`,
    `  cpes = ["cpe:2.3:a:python:python:${version}:*:*:*:*:*:*:*"]`,
    '  licenses = ["Python-2.0"]',
    "  strip-components = 1",
    "",
  ].join("\n");
  const header = blocks[0]!.replace(/cpython = "3\.13\.x"/, 'cpython = "3.11.x"');
  return { toml: [header, cpython, ...kept].join("[[metadata.dependencies]]"), version };
}

/** The build env for harness runs on linux/amd64 with this machine's CA bundle. */
export const TEST_ENV: Record<string, string> = {
  CNB_TARGET_OS: "linux",
  CNB_TARGET_ARCH: "amd64",
  SSL_CERT_FILE: "/etc/ssl/certs/ca-certificates.crt",
};
