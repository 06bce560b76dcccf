/**
 * The container stage's public surface: an image's root filesystem unpacked (cached by
 * digest), a per-use writable view of it, a process run in it under runc (no daemon) with a
 * stall watchdog, a foreign arch run under qemu, the host's proxy handed in, and what a
 * container changed read back from its overlay upper dir. The build, run and extension
 * stages all run their containers through it.
 */
export { checkRunnable } from "./foreign-arch.js";
export { overlayDiffEntries } from "./overlay-diff.js";
export { checkProxyReachable, proxyEnv } from "./proxy-env.js";
export { openRootfsView, type RootfsView } from "./rootfs-view.js";
export { mountOverlay, type OverlayDirs, unmountOverlay } from "./overlay-mount.js";
export { runContainer, uniqueContainerId } from "./runc.js";
export type { BindMount } from "./runtime-config.js";
export { formatStallTimeout, parseStallTimeout, stallTimeoutFromEnv } from "./stall-watchdog.js";
export { applyLayer } from "./apply-layer.js";
export { openUnpacked, pruneUnpackedImages, type UnpackedImage, unpackImage } from "./unpack.js";
export {
  BLOCKED_RANGES,
  type ContainerNetwork,
  type IsolatedNetwork,
  loopbackPortsOf,
  openIsolatedNetwork,
} from "./network-namespace.js";
