/**
 * The base stage's public surface: Debian build and run base images made with debootstrap
 * (single- and multi-arch, Debian 13 or 12, standard, slim or tiny), and the qemu/binfmt_misc set-up that runs a foreign arch here.
 */
export {
  type BinfmtPlaces,
  checkQemuBinfmt,
  ensureQemuBinfmt,
  type QemuBinfmtStatus,
  qemuBinfmtStatus,
} from "./binfmt.js";
export {
  BASE_FLAVORS,
  type BaseFlavor,
  type BaseImageRole,
  type BaseImageSpec,
  type EnsureBaseImagesOptions,
  ensureBaseImages,
  type ImageRef,
  writeBaseImage,
} from "./images.js";
export { BASE_ARCHES, ensureMultiArchBaseImages, type MultiArchRef, parseBaseTarget } from "./multi-arch.js";
export {
  DEBIAN_RELEASES,
  type DebianCodename,
  type DebianRelease,
  type DebianVersion,
  DEFAULT_DEBIAN_RELEASE,
  parseDebianRelease,
} from "./release.js";
export { cachedQemu, cachedQemuPath, MIN_QEMU_MAJOR } from "./qemu.js";
export { CNB_USER, DEFAULT_DEBIAN_MIRROR, type DebianArch, ensureDebianRootfs, hostDebianArch } from "./rootfs.js";
export { type BaseSbomLayer, writeBaseSbomLayer } from "./base-sbom.js";
export { BASE_SBOM_DIR, BASE_SBOM_LABEL } from "./base-sbom-location.js";
export { type DpkgPackage, readDpkgPackages } from "./dpkg-status.js";
export { TINY_RUN_PACKAGES } from "./packages.js";
export { ensureTinyRootfs, type EnsureTinyRootfsOptions } from "./tiny-rootfs.js";
