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
