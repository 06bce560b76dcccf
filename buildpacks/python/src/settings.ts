/** How the Python buildpack reads its boolean BP_* settings. */

/** True for "true", "1" and "yes" (any case). */
export function isTrue(value: string | undefined): boolean {
  return /^(true|1|yes)$/i.test(value?.trim() ?? "");
}
