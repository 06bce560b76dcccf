/**
 * The nginx of cnbkit/web's inventory: Debian's own `nginx` and `nginx-common` .debs, as
 * deb.debian.org serves them. The real buildpack.toml names their pool URLs and the sha256 of
 * the Packages index; the reference builder's LOCAL variant carries the same .debs (file://,
 * same sha256), so both install through one path: the framework extracts a .deb's data tar
 * itself (framework/src/dependencies/archive-deb.ts) and the buildpack takes `usr/sbin/nginx`
 * from `nginx` and `etc/nginx/mime.types` from `nginx-common` (buildpacks/web, install-nginx.ts).
 *
 * One line: trixie's `nginx` (1.26, Debian 13's, cnbkit's standard run image), the newest
 * version the release's suites serve (release, -updates, -security). Before the .debs are
 * offered they are checked once (the result cached beside them):
 *
 * - the binary links only libraries both run images carry ({@link RUN_IMAGE_SONAMES}): libc,
 *   libcrypt1, libpcre2-8-0 (grep, in debootstrap's minbase), libssl3 (with CPython's, see
 *   builder-packager/src/base/packages.ts) and zlib1g; anything else fails here, naming it;
 * - the newest glibc it needs (glibc-need.ts) becomes the entries' `distros` (trixie's needs
 *   2.34 at most, so it runs on Debian 12 run images too);
 * - `nginx -V` runs from the unpacked tree when this machine can run it.
 *
 * Run as a program (bundled by esbuild: Node 20 runs no .ts), it prints the real inventory's
 * entries for an arch, to paste into buildpacks/web/buildpack.toml when Debian ships a new
 * nginx (a superseded security update leaves deb.debian.org, so the pinned URL must follow it).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { download } from "@cnbkit/framework/dependencies";
import { writeAtomic } from "@cnbkit/framework/fs";
import { cnbkitCacheDir } from "../../builder-packager/src/cache/index.js";
import { cachedNewestPackageSet, type DebianPackage, type DebianRelease, TRIXIE, unpackDebs } from "./debian-index.js";
import { debianReleasesFor, glibcNeed } from "./glibc-need.js";

/** An nginx line of the inventory: the Debian release whose `nginx` .deb makes it. */
export interface LocalNginxLine {
  release: DebianRelease;
}

/**
 * Trixie's alone: its binary needs no glibc newer than bookworm's 2.36 (measured), so the one
 * build runs on both run images, and bookworm's older 1.22 would add nothing.
 */
export const LOCAL_NGINX_LINES: readonly LocalNginxLine[] = [{ release: TRIXIE }];

/** Sonames both run images carry (minbase + packages.ts), which the layer need not bring. */
export const RUN_IMAGE_SONAMES: readonly string[] = [
  "libc.so.6",
  "ld-linux-x86-64.so.2",
  "ld-linux-aarch64.so.1",
  "libcrypt.so.1",
  "libpcre2-8.so.0",
  "libssl.so.3",
  "libcrypto.so.3",
  "libz.so.1",
];

/** One .deb of an nginx line, downloaded here and checked against its index sha256. */
export interface NginxDeb {
  /** `nginx` or `nginx-common`. */
  name: string;
  /** Its pool URL on deb.debian.org. */
  url: string;
  sha256: string;
  /** The verified copy under `~/.cache/cnbkit/nginx/debs/`. */
  path: string;
}

/** One nginx line's .debs and what they were found to need. */
export interface LocalNginx {
  /** Upstream version, `1.26.3`. */
  version: string;
  /** Debian's, `1.26.3-3+deb13u11`. */
  debianVersion: string;
  /** The Debian release's distro, `debian-13`. */
  distro: string;
  /** The Debian versions (`12`, `13`) whose glibc runs it. */
  distros: string[];
  /** `nginx` (the binary, for `arch`) then `nginx-common` (mime.types, arch all). */
  debs: NginxDeb[];
}

/** `~/.cache/cnbkit/nginx`. */
export function nginxCacheDir(): string {
  return join(cnbkitCacheDir(), "nginx");
}

/**
 * The .debs of one Debian release's nginx for `arch`, downloaded (verified) and checked once.
 *
 * @example
 * const { version, debs } = await localNginxDebs("amd64", TRIXIE); // version "1.26.3", debs[0].name "nginx"
 * @throws Error naming the .deb when it does not verify, or the library the run images lack
 */
export async function localNginxDebs(
  arch: "amd64" | "arm64",
  release: DebianRelease,
  progress: (line: string) => void = () => {},
): Promise<LocalNginx> {
  const dir = nginxCacheDir();
  const packages = await cachedNewestPackageSet(
    ["nginx", "nginx-common"],
    arch,
    release,
    join(dir, `${release.codename}-nginx-${arch}.json`),
    progress,
  );
  const nginx = packages[0] as DebianPackage;
  const debianVersion = nginx.version;
  const version = debianVersion.replace(/^\d+:/, "").replace(/-[^-]*$/, "");
  const debs: NginxDeb[] = [];
  for (const p of packages) debs.push(await cachedDeb(p, join(dir, "debs")));
  const meta = join(dir, "debs", `${basename(nginx.url)}.checked.json`);
  let distros: string[];
  if (existsSync(meta)) distros = (JSON.parse(await readFile(meta, "utf8")) as { distros: string[] }).distros;
  else {
    progress(`nginx ${debianVersion} (linux/${arch}): checking Debian ${release.codename}'s .debs`);
    distros = await checkDebs(packages, arch);
    await writeAtomic(meta, `${JSON.stringify({ distros }, null, 2)}\n`);
  }
  return { version, debianVersion, distro: release.distro, distros, debs };
}

/** `p` in `dir` under its pool name, downloaded and verified unless a verified copy is there. */
async function cachedDeb(p: DebianPackage, dir: string): Promise<NginxDeb> {
  const path = join(dir, basename(p.url));
  const ok = `${path}.sha256`;
  const known = existsSync(path) && existsSync(ok) && (await readFile(ok, "utf8")).trim() === p.sha256;
  if (!known) {
    await mkdir(dir, { recursive: true });
    await download({ id: p.name, version: p.version, uri: p.url, sha256: p.sha256 }, dir, {
      env: {},
      fileName: basename(p.url),
    });
    await writeAtomic(ok, `${p.sha256}\n`);
  }
  return { name: p.name, url: p.url, sha256: p.sha256, path };
}

/** Unpacks the .debs once (`dpkg -x`): the libraries, the glibc need and `nginx -V`. Returns the distros. */
async function checkDebs(packages: readonly DebianPackage[], arch: string): Promise<string[]> {
  const work = await mkdtemp(join(nginxCacheDir(), "work-"));
  try {
    const tree = await unpackDebs(packages, work);
    const binary = join(tree, "usr", "sbin", "nginx");
    const missing = neededSonames(binary).filter((s) => !RUN_IMAGE_SONAMES.includes(s));
    if (missing.length > 0) {
      throw new Error(
        `local nginx: ${packages[0]?.url} links ${missing.join(", ")}, which the run images lack; bring its package in local-nginx.ts and install-nginx.ts`,
      );
    }
    const need = await glibcNeed(join(tree, "usr", "sbin"));
    const distros = need ? debianReleasesFor(need.version) : ["12", "13"];
    if (arch === hostArch() && distros.includes(hostDebian())) smokeTest(binary);
    return distros;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The DT_NEEDED sonames of an ELF file (`readelf -d`). */
function neededSonames(file: string): string[] {
  const r = spawnSync("readelf", ["-d", "-W", file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`readelf -d ${file}: ${(r.stderr || String(r.error)).trim()}`);
  return [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1] as string);
}

function hostArch(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

/** This machine's Debian major version, or "" elsewhere. */
function hostDebian(): string {
  try {
    const text = spawnSync("sh", ["-c", ". /etc/os-release && echo $ID:$VERSION_ID"], {
      encoding: "utf8",
    }).stdout.trim();
    return text.startsWith("debian:") ? text.slice(7) : "";
  } catch {
    return "";
  }
}

/** `nginx -V` runs from the laid-out tree (without its Debian paths): the binary loads. */
function smokeTest(nginx: string): void {
  const r = spawnSync(nginx, ["-V"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`local nginx: ${nginx} -V failed: ${(r.stderr || String(r.error)).trim()}`);
}

/**
 * The inventory entries of one nginx line for `arch`: the `nginx` .deb and the `nginx-common`
 * .deb, each at `uri(deb)` with Debian's sha256. The same for the real buildpack.toml (the
 * pool URLs) and the local one (file:// to the cached copies), so both install alike.
 */
export function nginxInventory(
  n: Pick<LocalNginx, "version" | "debianVersion" | "distro" | "distros" | "debs">,
  arch: "amd64" | "arm64",
  uri: (deb: NginxDeb) => string,
): TomlTable[] {
  const debian = encodeURIComponent(n.debianVersion);
  const distros = n.distros.map((version) => ({ name: "debian", version }));
  return n.debs.map((deb) => {
    const common = deb.name !== "nginx";
    return {
      id: deb.name,
      name: deb.name,
      version: n.version,
      os: "linux",
      // nginx-common is arch all: one entry, no arch, matches every target.
      ...(common ? {} : { arch }),
      uri: uri(deb),
      sha256: deb.sha256,
      purl: `pkg:deb/debian/${deb.name}@${debian}?arch=${common ? "all" : arch}&distro=${n.distro}`,
      cpes: common ? [] : [`cpe:2.3:a:f5:nginx:${n.version}:*:*:*:*:*:*:*`],
      licenses: ["BSD-2-Clause"],
      // Data entries are ./usr/sbin/nginx: one component off leaves sbin/nginx. nginx-common
      // is unpacked whole (its etc/nginx/mime.types is what the buildpack takes).
      ...(common ? {} : { "strip-components": 1 }),
      distros,
    };
  });
}

/**
 * The web buildpack.toml with its nginx inventory replaced by the cached .debs (of one arch,
 * file://, the same sha256) and its framework entry pointing back at
 * buildpacks/web/src/index.ts (so no source is copied).
 */
export function localWebBuildpackToml(
  realToml: string,
  nginxes: readonly Pick<LocalNginx, "version" | "debianVersion" | "distro" | "distros" | "debs">[],
  arch: "amd64" | "arm64",
  entry: string,
): string {
  const doc = parseToml(realToml, "buildpacks/web/buildpack.toml");
  const metadata = { ...((doc.metadata as TomlTable | undefined) ?? {}) };
  metadata.dependencies = nginxes.flatMap((n) => nginxInventory(n, arch, (deb) => `file://${deb.path}`));
  metadata.cnbkit = { entry };
  const header = [
    "# GENERATED by tools/local-builder/local-nginx.ts. Do not edit.",
    "# buildpacks/web/buildpack.toml with the nginx inventory's .debs replaced by copies",
    "# cached here (file://, the same sha256), so the builder needs no network.",
    "",
  ].join("\n");
  return `${header}${stringifyToml({ ...doc, targets: [{ os: "linux", arch }], metadata })}`;
}

/** Every local nginx line for `arch`. */
export async function localNginxes(
  arch: "amd64" | "arm64",
  progress: (line: string) => void = () => {},
): Promise<LocalNginx[]> {
  const out: LocalNginx[] = [];
  for (const line of LOCAL_NGINX_LINES) out.push(await localNginxDebs(arch, line.release, progress));
  return out;
}

// Run as a program with an arch (amd64 default): the real inventory's entries for it, as TOML.
if (import.meta.url === `file://${process.argv[1]}`) {
  const arch = (process.argv[2] as "amd64" | "arm64" | undefined) ?? "amd64";
  for (const n of await localNginxes(arch, (l) => console.error(l))) {
    const dependencies = nginxInventory(n, arch, (deb) => deb.url);
    console.log(stringifyToml({ metadata: { dependencies } }));
  }
}
