/**
 * The platforms a build is asked for: `--platform` repeated or given as a comma list, each
 * `os/arch[/variant]`, checked before any work (an unknown os or arch, one given twice).
 */
import { CnbError } from "@cnbkit/framework";
import type { Platform } from "../../oci/index.js";
import { parseTarget, targetString } from "../../package/index.js";

/**
 * Parses every `--platform` value (each may be a comma list) into platforms, in the order
 * given. A malformed or unknown one, or the same platform twice, is a one-line {@link CnbError}.
 *
 * @example
 * parsePlatforms(["linux/amd64,linux/arm64"]); // [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64" }]
 */
export function parsePlatforms(values: readonly string[], flag = "--platform"): Platform[] {
  const seen = new Set<string>();
  const platforms: Platform[] = [];
  for (const text of values.flatMap((v) => v.split(",")).map((v) => v.trim())) {
    if (!text) throw new CnbError(`${flag} has an empty entry; give os/arch values such as linux/amd64,linux/arm64`);
    const platform = parseTarget(text, flag);
    const key = targetString(platform);
    if (seen.has(key)) {
      throw new CnbError(`${flag} ${key} is given twice; name each platform once`);
    }
    seen.add(key);
    platforms.push(platform);
  }
  return platforms;
}

/** `linux-arm64` (`linux-arm64-v8`): a platform as a file, dir or tag name. */
export function platformSlug(p: Platform): string {
  return targetString(p).replaceAll("/", "-");
}
