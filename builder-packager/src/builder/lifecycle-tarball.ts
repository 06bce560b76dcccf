/**
 * The CNB lifecycle by version from its official release tarball, as pack fetches it for a
 * `[lifecycle] version`: https://github.com/buildpacks/lifecycle/releases/download/v<V>/
 * lifecycle-v<V>+linux.<x86-64|arm64>.tgz, checked against a sha256 that cnbkit carries for
 * the release or, failing that, the one the release publishes beside the tarball (its
 * `.sha256` asset or `lifecycle-v<V>-checksums.txt`; pack checks none), and cached by that
 * sha256 under `<cnbkit cache>/lifecycle/releases`.
 * `CNBKIT_LIFECYCLE_MIRROR` replaces GitHub for air-gapped users: a base URL or directory
 * laid out as GitHub's `releases/download` (`<base>/v<V>/<asset>`; a directory may also hold
 * the assets flat), or the tarball file itself.
 */
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CnbError } from "@cnbkit/framework";
import { download, envProxyFetch } from "@cnbkit/framework/dependencies";
import { writeAtomic } from "@cnbkit/framework/fs";
import { cnbkitCacheDir } from "../cache/index.js";

/** sha256 of each supported release's tarball, by version and arch (amd64, arm64). */
export type LifecycleReleases = Record<string, Partial<Record<string, string>>>;

/**
 * The release tarballs cnbkit knows the sha256 of, ahead of the sums each release publishes.
 * Empty for now: the figures must come from the releases' own `.sha256` assets, and none
 * could be read where this was written (GitHub unreachable). Without an entry, the published
 * sum is read beside the tarball (see {@link publishedSha256}).
 */
export const LIFECYCLE_RELEASES: LifecycleReleases = {};

/** Where the official releases are downloaded from. */
export const LIFECYCLE_RELEASES_URL = "https://github.com/buildpacks/lifecycle/releases/download";

/**
 * The release asset's file name for `arch`.
 *
 * @example
 * releaseAsset("0.21.17", "amd64") // "lifecycle-v0.21.17+linux.x86-64.tgz"
 */
export function releaseAsset(version: string, arch: string): string {
  return `lifecycle-v${version}+linux.${arch === "amd64" ? "x86-64" : arch}.tgz`;
}

/**
 * Where the release tarball of `version` for `arch` is fetched from: GitHub, or the
 * `CNBKIT_LIFECYCLE_MIRROR` in `env` (a URL base, a directory, or the file itself).
 */
export function releaseUri(version: string, arch: string, env: Record<string, string | undefined>): string {
  const asset = releaseAsset(version, arch);
  const mirror = env.CNBKIT_LIFECYCLE_MIRROR?.trim();
  if (!mirror) return `${LIFECYCLE_RELEASES_URL}/v${version}/${asset}`;
  if (/^https?:\/\//.test(mirror)) return `${mirror.replace(/\/+$/, "")}/v${version}/${asset}`;
  const local = resolve(mirror.startsWith("file://") ? mirror.slice(7) : mirror);
  if (existsSync(local) && statSync(local).isDirectory()) {
    const nested = join(local, `v${version}`, asset);
    return pathToFileURL(existsSync(nested) ? nested : join(local, asset)).href;
  }
  return pathToFileURL(local).href;
}

/**
 * The sha256 a release publishes for its tarball at `uri`: the `<asset>.sha256` file beside
 * it, else the release's `lifecycle-v<V>-checksums.txt` (lines of `<sha256>  <file>`), from the
 * same place the tarball comes from (GitHub, or the mirror). One line when neither is there
 * or neither names the tarball.
 */
export async function publishedSha256(
  version: string,
  arch: string,
  uri: string,
  where: string,
  env: Record<string, string | undefined>,
): Promise<string> {
  const asset = releaseAsset(version, arch);
  const dir = uri.slice(0, uri.lastIndexOf("/") + 1);
  const candidates = [`${uri}.sha256`, `${dir}lifecycle-v${version}-checksums.txt`];
  for (const sums of candidates) {
    const text = await readSums(sums, env);
    if (text === undefined) continue;
    const hex = sumFor(text, asset);
    if (hex) return hex;
    throw new CnbError(`${where}: ${sums} names no sha256 for ${asset}`, {
      hint: `give [lifecycle] uri and sha256 in builder.toml (the sha256 of ${asset} from its release page)`,
    });
  }
  throw new CnbError(
    `${where}: the lifecycle ${version} release publishes no checksum for ${asset} at ${candidates[0]}`,
    {
      hint: `without one cnbkit will not use the tarball: give [lifecycle] uri and sha256 in builder.toml, or serve ${asset}.sha256 beside it${
        env.CNBKIT_LIFECYCLE_MIRROR ? " in CNBKIT_LIFECYCLE_MIRROR" : ""
      }`,
    },
  );
}

/** The sha256 a sums text gives for `asset`: a `<hex>  [*]<name>` line, or a lone `<hex>`. */
function sumFor(text: string, asset: string): string | undefined {
  for (const line of text.split("\n")) {
    const m = /^([0-9a-fA-F]{64})(?:\s+\*?(\S+))?\s*$/.exec(line.trim());
    if (m && (!m[2] || m[2] === asset || m[2].endsWith(`/${asset}`))) return m[1]!.toLowerCase();
  }
  return undefined;
}

/** The text at a sums URL (http(s) or file), or undefined when it is not there. */
async function readSums(url: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  if (url.startsWith("file:")) {
    return readFile(fileURLToPath(url), "utf8").catch(() => undefined);
  }
  let res: Response;
  try {
    res = await envProxyFetch(env)(url, { redirect: "follow", signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new CnbError(`cannot read ${url}: ${(err as Error).message}`, {
      hint: env.CNBKIT_LIFECYCLE_MIRROR
        ? "check CNBKIT_LIFECYCLE_MIRROR: it must serve the release's files (the tarball and its .sha256)"
        : "without GitHub, set CNBKIT_LIFECYCLE_MIRROR to a mirror URL, a directory of release tarballs, or the tarball",
    });
  }
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new CnbError(`cannot read ${url}: HTTP ${res.status}`);
  }
  return (await res.text()).slice(0, 1 << 20);
}

/**
 * Downloads (or takes from the cache) the release tarball of `version` for `arch` into
 * `workDir` and returns its path. One-line {@link CnbError}s: no sha256 carried for the
 * release, a download that fails, a file whose sha256 differs.
 *
 * @example
 * const tgz = await fetchLifecycleRelease("0.21.17", "arm64", { workDir, where: "builder.toml: [lifecycle].version" });
 */
export async function fetchLifecycleRelease(
  version: string,
  arch: string,
  opts: {
    workDir: string;
    /** Names the setting in errors, e.g. `builder.toml: [lifecycle].version "0.21.17"`. */
    where: string;
    env?: Record<string, string | undefined>;
    /** The sha256 table (default {@link LIFECYCLE_RELEASES}; tests inject theirs). */
    releases?: LifecycleReleases;
    say?: (line: string) => void;
    /** How to pin a sum read from beside the tarball (default: builder.toml's `[lifecycle]`); null says nothing. */
    pinAdvice?: string | null;
  },
): Promise<string> {
  const env = opts.env ?? process.env;
  const uri = releaseUri(version, arch, env);
  const cacheDir = join(cnbkitCacheDir(env), "lifecycle", "releases");
  // A sum read once and verified against its tarball is kept beside the cached tarball, so a
  // later build needs neither the network nor the sums file.
  const known = join(cacheDir, `${releaseAsset(version, arch)}.sha256`);
  const carried =
    (opts.releases ?? LIFECYCLE_RELEASES)[version]?.[arch] ??
    (await readFile(known, "utf8").then(
      (t) => sumFor(t, releaseAsset(version, arch)),
      () => undefined,
    ));
  const sha256 = carried ?? (await publishedSha256(version, arch, uri, opts.where, env));
  opts.say?.(`Fetching lifecycle ${version} for ${arch} from ${uri}`);
  if (!carried) {
    // A checksum read from beside the tarball proves it arrived whole, not who made it: say
    // what to pin so the next build trusts this one.
    const pin =
      opts.pinAdvice === undefined
        ? `pin it in builder.toml: [lifecycle] uri = "${LIFECYCLE_RELEASES_URL}/v${version}/${releaseAsset(version, arch)}", sha256 = "${sha256}"`
        : opts.pinAdvice;
    opts.say?.(`  sha256 ${sha256} (published beside the tarball)${pin ? `; ${pin}` : ""}`);
  }
  const file = await download(
    { id: "lifecycle", version, uri, sha256 },
    join(opts.workDir, `lifecycle-release-${arch}`),
    {
      // Only cnbkit's own mirror variable applies; BP_DEPENDENCY_MIRROR is the buildpacks'.
      env: {},
      cacheDir,
      retries: 2,
    },
  ).catch((err: unknown) => {
    const message = (err as Error).message.replace(/^lifecycle \S+: /, "");
    throw new CnbError(`${opts.where}: ${message}`, {
      hint: env.CNBKIT_LIFECYCLE_MIRROR
        ? "check CNBKIT_LIFECYCLE_MIRROR: it must serve the official release tarball"
        : "without GitHub, set CNBKIT_LIFECYCLE_MIRROR to a mirror URL, a directory of release tarballs, or the tarball",
    });
  });
  if (!carried) await writeAtomic(known, `${sha256}  ${releaseAsset(version, arch)}\n`);
  return file;
}
