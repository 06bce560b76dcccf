/**
 * The line a download logs before it fetches (kept out of download.ts, whose exports are the
 * package's API).
 */
import { basename } from "node:path";

/**
 * The log line for fetching `label`: a download names its URL; a local file is copied, and one
 * an offline buildpackage carries (under /cnb/buildpacks/) is named by its file alone, where the
 * whole path (~200 characters, with a sha256 dir) was noise on every build.
 */
export function fetchLine(label: string, uri: string, shown: string, via: string): string {
  if (!uri.startsWith("file:")) return `Downloading ${label} from ${shown}${via}`;
  const path = carriedPath(uri);
  if (path.startsWith("/cnb/buildpacks/")) return `Copying ${label} from the buildpack (${basename(path)})${via}`;
  return `Copying ${label} from ${shown}${via}`;
}

/** The path of a file: URI ("" when it does not parse). */
function carriedPath(uri: string): string {
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return "";
  }
}
