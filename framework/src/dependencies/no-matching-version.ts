/**
 * The inventory has the dependency, but no version of it matches the request on this platform.
 * It carries what a buildpack needs to say what to change (the versions there are), so callers
 * build their own line from data instead of reading this error's text.
 */
import { CnbError } from "../errors/index.js";

/** What was asked for and what the inventory has instead. */
export interface VersionMiss {
  /** The dependency id, e.g. `node`. */
  id: string;
  /** The range asked for, e.g. `18.x`. */
  range: string;
  /** `<os>/<arch>` of the request ("any os"/"any arch" when open). */
  platform: string;
  /** The versions for this platform, newest first (empty when none are for it). */
  available: readonly string[];
  /** The newest version of the id on any platform, when there is one. */
  newest: string | undefined;
  /** Other platforms with builds of the id, when none is for this one. */
  otherPlatforms: readonly string[];
}

/**
 * No version of `miss.id` matches `miss.range` for `miss.platform`: the message and hint say so
 * in words, and {@link NoMatchingVersionError.miss} keeps the facts.
 *
 * @example
 * try { resolveDependency(inventory, { id: "node", version: "18.x", os: "linux", arch: "amd64" }) }
 * catch (err) { if (err instanceof NoMatchingVersionError) offer(err.miss.available) }
 */
export class NoMatchingVersionError extends CnbError {
  /** What was asked for and what there is. */
  readonly miss: VersionMiss;

  constructor(miss: VersionMiss) {
    super(
      `no ${miss.id} version matches "${miss.range}" for ${miss.platform} in the inventory (newest: ${miss.newest ?? "none"})`,
      {
        hint:
          miss.available.length > 0
            ? `Available for ${miss.platform}: ${miss.available.join(", ")}`
            : `No ${miss.id} builds for ${miss.platform}; there are some for ${miss.otherPlatforms.join(", ")}`,
      },
    );
    this.name = "NoMatchingVersionError";
    this.miss = miss;
  }
}
