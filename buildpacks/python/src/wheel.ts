/**
 * Wheels installed with no installer run. A wheel is a zip whose root is what goes into
 * site-packages, so a verified pure-Python wheel unpacked there is installed (pip's own,
 * setuptools): `python -m pip` runs it with no entry-point scripts, and no pip has to start
 * (pip installing itself took ~2.5 s of a ~6.5 s cold build).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { BuildContext, Dependency } from "@cnbkit/framework";
import { extract } from "@cnbkit/framework/dependencies";

/** A venv's site-packages on CPython `minor` ("3.11"). */
export function sitePackages(venv: string, minor: string): string {
  return join(venv, "lib", `python${minor}`, "site-packages");
}

/**
 * Downloads `dep`'s wheel (checksum-verified) into `scratch`, unpacks it into `into`, and
 * removes `scratch`, failed or not.
 */
export async function unpackWheel(
  ctx: Pick<BuildContext<unknown>, "dependencies">,
  dep: Dependency,
  into: string,
  scratch: string,
): Promise<void> {
  try {
    const wheel = (await ctx.dependencies.download(dep, scratch)) as string;
    await extract(wheel, into, { format: "zip" });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
