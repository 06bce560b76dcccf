/** The buildpack plan the lifecycle hands to build (`<plan>` path, `[[entries]]`). */

/** One `[[entries]]`: a requirement this buildpack was chosen to provide. */
export interface BuildpackPlanEntry {
  name: string;
  metadata: Record<string, unknown>;
}
