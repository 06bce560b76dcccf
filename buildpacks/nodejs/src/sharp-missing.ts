/**
 * A build script that fails because `sharp` is not installed, when the lockfile has it. Astro
 * 4 (before 4.7) has sharp ^0.32 as an optional dependency; sharp 0.32's install script
 * downloads libvips from GitHub, and when GitHub cannot be reached the script fails, npm drops
 * the optional package without a word at its default log level (`npm verbose reify failed
 * optional dependency …/node_modules/sharp` is all it says), and `astro build` later stops
 * with Rollup's `failed to resolve import "sharp"`, which names neither cause. sharp 0.33+
 * ships libvips as npm packages (`@img/sharp-libvips-*`), so it installs from the registry.
 * Pure: the caller reads the lockfile.
 */

/** What a build tool prints when `sharp` cannot be imported. */
const SHARP_NOT_FOUND =
  /failed to resolve import "sharp"|Cannot find (?:module|package) 'sharp'|Could not find Sharp|MissingSharp/;

/**
 * True when a failed build script's output says `sharp` could not be imported.
 *
 * @example
 * sharpNotFound('[vite]: Rollup failed to resolve import "sharp" from "/workspace/node_modules/astro/dist/assets/services/sharp.js".') // true
 */
export function sharpNotFound(output: string): boolean {
  return SHARP_NOT_FOUND.test(output);
}

/**
 * The sharp version a lockfile pins (package-lock.json, yarn.lock or pnpm-lock.yaml), or
 * undefined when it has none.
 *
 * @example
 * lockedSharpVersion("package-lock.json", '{"packages":{"node_modules/sharp":{"version":"0.32.6"}}}') // "0.32.6"
 */
export function lockedSharpVersion(lockfile: string, text: string): string | undefined {
  if (lockfile === "package-lock.json" || lockfile === "npm-shrinkwrap.json") {
    try {
      const lock = JSON.parse(text) as { packages?: Record<string, { version?: unknown }> };
      const v = lock.packages?.["node_modules/sharp"]?.version;
      return typeof v === "string" ? v : undefined;
    } catch {
      return undefined;
    }
  }
  // yarn 1: `sharp@^0.32.5:\n  version "0.32.6"`; berry: `"sharp@npm:^0.32.5":\n  version: 0.32.6`;
  // pnpm: `/sharp@0.32.6:` (v6) or `sharp@0.32.6:` (v9).
  const m =
    /^"?sharp@[^\n]*:\n\s+version:? "?(\d+\.\d+\.\d+)/m.exec(text) ??
    /^\s+\/?sharp@(\d+\.\d+\.\d+)(?:\(.*\))?:\s*$/m.exec(text);
  return m?.[1];
}

/**
 * The line and hint for a build that could not import sharp although the lockfile has
 * `version` (or none). Before 0.33 the likely cause is its libvips download from GitHub.
 *
 * @example
 * sharpMissingError("0.32.6").line
 * // "sharp 0.32.6 is in the lockfile but not installed: its install script, which downloads libvips from github.com, failed (…)"
 */
export function sharpMissingError(version: string | undefined): { line: string; hint: string } {
  const [major = 0, minor = 0] = (version ?? "").split(".").map(Number);
  if (version && major === 0 && minor < 33) {
    return {
      line: `sharp ${version} is in the lockfile but not installed: its install script, which downloads libvips from github.com, failed (npm drops an optional dependency whose install script fails, and says so only at --loglevel verbose)`,
      hint: 'Depend on sharp >= 0.33 (its libvips comes from the npm registry: add "sharp": "^0.33.5" to dependencies), point npm_config_sharp_libvips_binary_host at a mirror of sharp-libvips releases, or use Astro\'s passthrough image service (image: { service: passthroughImageService() }).',
    };
  }
  return {
    line: `sharp${version ? ` ${version}` : ""} is not installed, and the build imports it`,
    hint: 'Add "sharp" to dependencies (0.33 or later installs from the npm registry alone), or configure the build not to use it.',
  };
}
