/**
 * The Debian releases cnbkit makes base images of, as values: codename, version, the
 * target id the images carry, and each release's package sets.
 *
 * Debian 13 (trixie) is the default: its OpenJDK 21/25 and CPython 3.13 need its glibc
 * (2.41), so they run only on trixie images, while Debian 12's binaries (the local CPython
 * 3.11, OpenJDK 17) run on 13 too. Debian 12 (bookworm) stays selectable (`--debian 12`)
 * for apps pinned to it.
 */
import { CnbError } from "@cnbkit/framework";
import { BOOKWORM_PACKAGES, type ReleasePackages, TRIXIE_PACKAGES } from "./packages.js";

/** A Debian release's version number, as `/etc/os-release` VERSION_ID and the distro labels say it. */
export type DebianVersion = "13" | "12";

/** A Debian release's codename: the suite debootstrap reads. */
export type DebianCodename = "trixie" | "bookworm";

/** One Debian release cnbkit makes base images of. */
export interface DebianRelease {
  codename: DebianCodename;
  version: DebianVersion;
  /**
   * `io.buildpacks.base.id` and the legacy stack id. One per release, not one for all:
   * the lifecycle's rebaser and pack refuse to swap a run image whose stack id differs,
   * and an app layer built on 13 (glibc 2.41) must never be rebased onto a 12 run image
   * (glibc 2.36) nor the other way round without a rebuild (native extensions link the
   * release's sonames).
   */
  baseId: string;
  /** The run and build package sets, on top of debootstrap's minbase. */
  packages: ReleasePackages;
}

/** The releases, newest (the default) first. */
export const DEBIAN_RELEASES: readonly DebianRelease[] = [
  { codename: "trixie", version: "13", baseId: "io.cnbkit.base.trixie", packages: TRIXIE_PACKAGES },
  { codename: "bookworm", version: "12", baseId: "io.cnbkit.base.bookworm", packages: BOOKWORM_PACKAGES },
];

/** The release base images are made of unless told otherwise: Debian 13 (trixie). */
export const DEFAULT_DEBIAN_RELEASE: DebianRelease = DEBIAN_RELEASES[0] as DebianRelease;

/**
 * The release named by `value`: its version ("13", "12") or its codename ("trixie",
 * "bookworm"); a one-line {@link CnbError} naming `where` and the choices otherwise.
 *
 * @example
 * parseDebianRelease("12", "--debian").codename // "bookworm"
 */
export function parseDebianRelease(value: string, where: string): DebianRelease {
  const v = value.trim().toLowerCase();
  const release = DEBIAN_RELEASES.find((r) => r.version === v || r.codename === v);
  if (!release) {
    const choices = DEBIAN_RELEASES.map((r) => `${r.version} (${r.codename})`).join(" or ");
    throw new CnbError(`${where} "${value}" is not a Debian release cnbkit makes base images of: ${choices}`);
  }
  return release;
}
