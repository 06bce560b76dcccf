/** Image references as typed on the command line. */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
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

/**
 * An image the command reads, as {@link absoluteRef} gives it, checked here so that a path
 * mistaken for a reference fails in one line that names the fix: an `oci:` layout that does
 * not exist or is no layout, and an OCI layout directory given without `oci:` (read as a
 * registry image, or as a builder's root filesystem, it failed far from the cause).
 * `rootfs`: a plain directory is a valid answer too (a builder's root filesystem).
 *
 * @example
 * imageRef("out/app")     // throws: "out/app" is an OCI layout; name it oci:out/app
 * imageRef("oci:out/app") // "oci:/home/me/proj/out/app"
 */
export function imageRef(ref: string, options: { rootfs?: boolean } = {}): string {
  if (!ref.startsWith("oci:")) {
    if (existsSync(join(ref, "oci-layout"))) {
      throw new CnbError(`"${ref}" is an OCI image layout, and without oci: it names a registry image`, {
        hint: `name it oci:${ref}`,
      });
    }
    if (!options.rootfs && isDir(ref) && !parses(ref)) {
      throw new CnbError(`"${ref}" is a directory but not an OCI image layout (no oci-layout file)`, {
        hint: "an image is oci:<layout dir>[:tag] or a registry reference host/repo:tag",
      });
    }
    return ref;
  }
  const parsed = parseReference(ref);
  if (parsed.kind !== "layout") return ref;
  const dir = resolve(parsed.path);
  if (!existsSync(dir)) {
    throw new CnbError(`${ref}: ${dir} does not exist`, {
      hint: "check the path; oci:<dir> names an OCI layout that cnbkit build, package or builder create wrote",
    });
  }
  if (!existsSync(join(dir, "oci-layout"))) {
    throw new CnbError(`${ref}: ${dir} is not an OCI image layout (no oci-layout file)`, {
      ...(options.rootfs ? { hint: `a builder's root filesystem is named without oci: (${parsed.path})` } : {}),
    });
  }
  return formatReference({ ...parsed, path: dir });
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function parses(ref: string): boolean {
  try {
    parseReference(ref);
    return true;
  } catch {
    return false;
  }
}
