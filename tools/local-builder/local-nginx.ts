/**
 * The nginx the reference builder's LOCAL variant carries in cnbkit/web's inventory, made from
 * Debian's .debs because this machine reaches neither nginx.org nor any other binary nginx.
 *
 * One line: trixie's `nginx` (1.26, Debian 13's, cnbkit's standard run image); its binary needs
 * glibc 2.34 at most, so it runs on Debian 12 run images too. It is the
 * newest version the release's suites serve (release, -updates, -security), every .deb checked
 * against the sha256 of the Packages index (debian-index.ts), unpacked with `dpkg -x` and laid
 * out as:
 *
 *   nginx/sbin/nginx            the binary (Debian builds gzip_static, realip, ssl, http2 in)
 *   nginx/conf/mime.types       from nginx-common
 *   nginx/lib/                  shared libraries the run image lacks (none today, see below)
 *   nginx/share/doc/copyright   Debian's copyright file (nginx is BSD-2-Clause)
 *
 * The binary links libc, libcrypt1, libpcre2-8-0, libssl3 and zlib1g. The run images carry all
 * of them: libpcre2-8-0 comes with grep (Essential, in debootstrap's minbase), libcrypt1 and
 * libssl3 with the CPython libraries (builder-packager/src/base/packages.ts). So lib/ stays
 * empty unless {@link RUN_IMAGE_SONAMES} misses a library `readelf -d` names: then its .deb is
 * fetched and the .so copied in (the buildpack puts lib/ on LD_LIBRARY_PATH for nginx only).
 *
 * The newest glibc the binary needs is measured (glibc-need.ts) and becomes the inventory's
 * `distros`, so trixie's build is offered only to Debian 13 run images.
 *
 * Tarballs are cached in `~/.cache/cnbkit/nginx/`; they are reproducible (the same .debs give
 * the same bytes), so their sha256 can be named in an inventory before anyone publishes them.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { writeAtomic } from "@cnbkit/framework/fs";
import { cnbkitCacheDir } from "../../builder-packager/src/cache/index.js";
import { cachedNewestPackageSet, type DebianPackage, type DebianRelease, TRIXIE, unpackDebs } from "./debian-index.js";
import { debianReleasesFor, glibcNeed } from "./glibc-need.js";
import { writeDeterministicTarGz } from "./reproducible-tarball.js";

/** An nginx line of the local inventory: the Debian release whose `nginx` .deb makes it. */
export interface LocalNginxLine {
  release: DebianRelease;
}

/**
 * Trixie's alone: its binary needs no glibc newer than bookworm's 2.36 (measured), so the one
 * build runs on both run images, and bookworm's older 1.22 would add nothing.
 */
export const LOCAL_NGINX_LINES: readonly LocalNginxLine[] = [{ release: TRIXIE }];

/** Sonames both run images carry (minbase + packages.ts), which the tarball need not bring. */
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

/** One made nginx tarball. */
export interface LocalNginx {
  path: string;
  sha256: string;
  /** Upstream version, `1.26.3`. */
  version: string;
  /** Debian's, `1.26.3-3+deb13u1`. */
  debianVersion: string;
  /** The Debian versions (`12`, `13`) whose glibc runs it. */
  distros: string[];
  /** The .debs it was made from. */
  packages: DebianPackage[];
}

/** `~/.cache/cnbkit/nginx`. */
export function nginxCacheDir(): string {
  return join(cnbkitCacheDir(), "nginx");
}

/**
 * Makes (or reuses) the nginx tarball of one Debian release for `arch`.
 *
 * @example
 * const { path, sha256, version } = await localNginxTarball("amd64", TRIXIE); // version "1.26.3"
 */
export async function localNginxTarball(
  arch: "amd64" | "arm64",
  release: DebianRelease,
  progress: (line: string) => void = () => {},
): Promise<LocalNginx> {
  const dir = nginxCacheDir();
  const names = ["nginx", "nginx-common"];
  const packages = await cachedNewestPackageSet(
    names,
    arch,
    release,
    join(dir, `${release.codename}-nginx-${arch}.json`),
    progress,
  );
  const nginx = packages[0] as DebianPackage;
  const debianVersion = nginx.version;
  const version = debianVersion.replace(/^\d+:/, "").replace(/-[^-]*$/, "");
  const path = join(dir, `nginx-${debianVersion.replaceAll(/[:+~]/g, "_")}-${release.distro}-${arch}.tar.gz`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) {
    const m = JSON.parse(await readFile(meta, "utf8")) as { sha256: string; distros: string[] };
    return { path, sha256: m.sha256, version, debianVersion, distros: m.distros, packages };
  }
  progress(`nginx ${debianVersion} (linux/${arch}) from Debian ${release.codename}'s .debs`);
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, "work-"));
  try {
    const tree = await unpackDebs(packages, work);
    const out = join(work, "out", "nginx");
    await mkdir(join(out, "sbin"), { recursive: true });
    await mkdir(join(out, "conf"), { recursive: true });
    await mkdir(join(out, "lib"), { recursive: true });
    await mkdir(join(out, "share", "doc"), { recursive: true });
    await copyFile(join(tree, "usr", "sbin", "nginx"), join(out, "sbin", "nginx"));
    await copyFile(join(tree, "etc", "nginx", "mime.types"), join(out, "conf", "mime.types"));
    const copyright = join(tree, "usr", "share", "doc", "nginx", "copyright");
    if (existsSync(copyright)) await copyFile(copyright, join(out, "share", "doc", "copyright"));
    const missing = neededSonames(join(out, "sbin", "nginx")).filter((s) => !RUN_IMAGE_SONAMES.includes(s));
    if (missing.length > 0) {
      throw new Error(
        `local nginx: ${nginx.url} links ${missing.join(", ")}, which the run images lack; add its package to local-nginx.ts`,
      );
    }
    const need = await glibcNeed(join(work, "out"));
    const distros = need ? debianReleasesFor(need.version) : ["12", "13"];
    if (arch === hostArch() && distros.includes(hostDebian())) smokeTest(join(out, "sbin", "nginx"));
    const sha256 = await writeDeterministicTarGz(join(work, "out"), "nginx", path);
    await writeAtomic(meta, `${JSON.stringify({ sha256, distros, debs: packages.map((p) => p.url) }, null, 2)}\n`);
    progress(
      `  ${relative(process.cwd(), path) || path} (sha256 ${sha256.slice(0, 12)}…, runs on Debian ${distros.join(", ")})`,
    );
    return { path, sha256, version, debianVersion, distros, packages };
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
 * The web buildpack.toml with its nginx inventory replaced by local tarballs (of one arch) and
 * its framework entry pointing back at buildpacks/web/src/index.ts (so no source is copied).
 */
export function localWebBuildpackToml(
  realToml: string,
  nginxes: readonly Pick<LocalNginx, "path" | "sha256" | "version" | "debianVersion" | "distros">[],
  arch: "amd64" | "arm64",
  entry: string,
): string {
  const doc = parseToml(realToml, "buildpacks/web/buildpack.toml");
  const metadata = { ...((doc.metadata as TomlTable | undefined) ?? {}) };
  metadata.dependencies = nginxes.map((n) => ({
    id: "nginx",
    name: "nginx",
    version: n.version,
    os: "linux",
    arch,
    uri: `file://${n.path}`,
    sha256: n.sha256,
    purl: `pkg:deb/debian/nginx@${encodeURIComponent(n.debianVersion)}?arch=${arch}`,
    cpes: [`cpe:2.3:a:f5:nginx:${n.version}:*:*:*:*:*:*:*`],
    licenses: ["BSD-2-Clause"],
    "strip-components": 1,
    distros: n.distros.map((version) => ({ name: "debian", version })),
  }));
  metadata.cnbkit = { entry };
  const header = [
    "# GENERATED by tools/local-builder/local-nginx.ts. Do not edit.",
    "# buildpacks/web/buildpack.toml with the nginx inventory replaced by tarballs made from",
    "# Debian's nginx .debs, because this machine reaches no other nginx binary.",
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
  for (const line of LOCAL_NGINX_LINES) out.push(await localNginxTarball(arch, line.release, progress));
  return out;
}

// `node tools/local-builder/local-nginx.ts` prints the lines' inventory facts (to update the
// real buildpack.toml by hand).
if (import.meta.url === `file://${process.argv[1]}`) {
  const arch = (process.argv[2] as "amd64" | "arm64" | undefined) ?? "amd64";
  for (const n of await localNginxes(arch, (l) => console.error(l))) {
    console.log(
      JSON.stringify({
        version: n.version,
        debianVersion: n.debianVersion,
        sha256: n.sha256,
        distros: n.distros,
        path: n.path,
      }),
    );
  }
}
