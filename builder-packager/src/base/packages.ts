/**
 * The Debian package sets of cnbkit's base images.
 *
 * The run image carries only what a launched app needs at run time (TLS roots, libssl,
 * zlib, /etc/services and protocols, time zones), plus libatomic1: the Node 26 runtime
 * inside compiled buildpacks links it, and buildpacks' exec.d programs (copies of the
 * buildpack binary) run in the app container. The build image adds what buildpacks
 * need to compile and unpack dependencies: a C/C++ toolchain and headers (native Node,
 * Python and Ruby extensions), git, python3 (node-gyp) and the archive tools. No curl:
 * buildpacks download with Node's fetch.
 */

/** Packages of the run image, on top of debootstrap's minbase. */
export const RUN_IMAGE_PACKAGES: readonly string[] = [
  "ca-certificates",
  "libssl3",
  "zlib1g",
  "netbase",
  "tzdata",
  "libatomic1",
];

/** Packages of the build image: the run set plus build tools. */
export const BUILD_IMAGE_PACKAGES: readonly string[] = [
  ...RUN_IMAGE_PACKAGES,
  "git",
  "build-essential",
  "pkg-config",
  "python3",
  "libssl-dev",
  "zlib1g-dev",
  "xz-utils",
  "zstd",
  "unzip",
];
