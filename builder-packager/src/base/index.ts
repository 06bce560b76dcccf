/**
 * The base stage's public surface: Debian build and run base images made with debootstrap
 * (single- and multi-arch), and the qemu/binfmt_misc set-up that runs a foreign arch here.
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
  BASE_ID,
  type BaseFlavor,
  type BaseImageRole,
  type EnsureBaseImagesOptions,
  ensureBaseImages,
  type ImageRef,
  writeBaseImage,
} from "./images.js";
export { BASE_ARCHES, ensureMultiArchBaseImages, type MultiArchRef, parseBaseTarget } from "./multi-arch.js";
export { cachedQemu, cachedQemuPath, MIN_QEMU_MAJOR } from "./qemu.js";
export { CNB_USER, type DebianArch, ensureDebianRootfs, hostDebianArch } from "./rootfs.js";
export { BASE_SBOM_DIR, BASE_SBOM_LABEL, type BaseSbomLayer, writeBaseSbomLayer } from "./base-sbom.js";
export { type DpkgPackage, readDpkgPackages } from "./dpkg-status.js";
