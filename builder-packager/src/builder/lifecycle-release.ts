/**
 * The CNB lifecycle by version from its official release tarball, as pack fetches it for a
 * `[lifecycle] version`: https://github.com/buildpacks/lifecycle/releases/download/v<V>/
 * lifecycle-v<V>+linux.<x86-64|arm64>.tgz, checked against a sha256 that cnbkit carries for
 * each release it supports, cached by that sha256 under `<cnbkit cache>/lifecycle/releases`.
 * `CNBKIT_LIFECYCLE_MIRROR` replaces GitHub for air-gapped users: a base URL or directory
 * laid out as GitHub's `releases/download` (`<base>/v<V>/<asset>`; a directory may also hold
 * the assets flat), or the tarball file itself.
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CnbError } from "@cnbkit/framework";
import { download } from "@cnbkit/framework/dependencies";
import { cnbkitCacheDir } from "../cache/index.js";

/** sha256 of each supported release's tarball, by version and arch (amd64, arm64). */
export type LifecycleReleases = Record<string, Partial<Record<string, string>>>;

/**
 * The release tarballs cnbkit knows the sha256 of. Empty for now: the figures must come
 * from the releases' own `.sha256` assets, and none could be read where this was written
 * (GitHub unreachable); a release enters this table only with its published sums.
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
  },
): Promise<string> {
  const env = opts.env ?? process.env;
  const sha256 = (opts.releases ?? LIFECYCLE_RELEASES)[version]?.[arch];
  if (!sha256) {
    throw new CnbError(`${opts.where}: cnbkit carries no sha256 for the lifecycle ${version} release for ${arch}`, {
      hint: `set [lifecycle] uri = "${LIFECYCLE_RELEASES_URL}/v${version}/${releaseAsset(version, arch)}" and sha256 (its .sha256 asset), or build it with 'npm run setup' in a cnbkit checkout`,
    });
  }
  const uri = releaseUri(version, arch, env);
  opts.say?.(`Fetching lifecycle ${version} for ${arch} from ${uri}`);
  return download({ id: "lifecycle", version, uri, sha256 }, join(opts.workDir, `lifecycle-release-${arch}`), {
    // Only cnbkit's own mirror variable applies; BP_DEPENDENCY_MIRROR is the buildpacks'.
    env: {},
    cacheDir: join(cnbkitCacheDir(env), "lifecycle", "releases"),
    retries: 2,
  }).catch((err: unknown) => {
    const message = (err as Error).message.replace(/^lifecycle \S+: /, "");
    throw new CnbError(`${opts.where}: ${message}`, {
      hint: env.CNBKIT_LIFECYCLE_MIRROR
        ? "check CNBKIT_LIFECYCLE_MIRROR: it must serve the official release tarball"
        : "without GitHub, set CNBKIT_LIFECYCLE_MIRROR to a mirror URL, a directory of release tarballs, or the tarball",
    });
  });
}
