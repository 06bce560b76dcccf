/** Image references as typed on the command line. */
import { resolve } from "node:path";
import { formatReference, parseReference } from "../oci/index.js";

/**
 * Makes an `oci:PATH[:TAG]` reference absolute against the current directory, so stages
 * never depend on where the CLI was started; registry references pass through unchanged.
 *
 * @example
 * absoluteRef("oci:out/app:v1") // "oci:/home/me/proj/out/app:v1"
 */
export function absoluteRef(ref: string): string {
  const parsed = parseReference(ref);
  return parsed.kind === "layout" ? formatReference({ ...parsed, path: resolve(parsed.path) }) : ref;
}
