/**
 * Buildpack API versions cnbkit speaks.
 *
 * The framework writes files in the shape of the API the buildpack declares in
 * buildpack.toml; lifecycle 0.21.x accepts 0.7–0.12, and cnbkit supports 0.10–0.12 (the
 * versions whose process commands are arrays and whose targets replace stacks).
 */
export const SUPPORTED_BUILDPACK_APIS = ["0.10", "0.11", "0.12"] as const;

/** One of {@link SUPPORTED_BUILDPACK_APIS}. */
export type BuildpackApi = (typeof SUPPORTED_BUILDPACK_APIS)[number];

/** The API new buildpacks and templates declare. */
export const DEFAULT_BUILDPACK_API: BuildpackApi = "0.12";

/** True when `value` is one of {@link SUPPORTED_BUILDPACK_APIS}. */
export function isSupportedBuildpackApi(value: unknown): value is BuildpackApi {
  return typeof value === "string" && (SUPPORTED_BUILDPACK_APIS as readonly string[]).includes(value);
}

/**
 * Compares two `<major>.<minor>` API versions numerically ("0.10" is newer than "0.9").
 *
 * @example
 * apiAtLeast(descriptor.api, "0.12") // exec-env is available
 */
export function apiAtLeast(api: string, min: string): boolean {
  const [aMajor = 0, aMinor = 0] = api.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = min.split(".").map(Number);
  return aMajor !== bMajor ? aMajor > bMajor : aMinor >= bMinor;
}
