/**
 * The Debian package sets of cnbkit's base images.
 *
 * The run image carries only what a launched app needs at run time (TLS roots, libssl,
 * zlib, /etc/services and protocols, time zones, the libraries CPython's extension modules
 * link), plus libatomic1: the Node 26 runtime
 * inside compiled buildpacks links it, and buildpacks' exec.d programs (copies of the
 * buildpack binary) run in the app container. The build image adds what buildpacks
 * need to compile and unpack dependencies: a C/C++ toolchain and headers (native Node,
 * Python and Ruby extensions), git, python3 (node-gyp) and the archive tools. No curl:
 * buildpacks download with Node's fetch.
 */

/**
 * The shared libraries CPython's extension modules link: _ssl (libssl3), _sqlite3, _ctypes
 * (libffi8), pyexpat, _curses (libncursesw6), readline, _bz2, _lzma, zlib, _uuid, _dbm
 * (libdb5.3) and _crypt/nis (libcrypt1, libnsl2 with libtirpc3).
 */
export const PYTHON_RUNTIME_LIBRARIES: readonly string[] = [
  "libsqlite3-0",
  "libffi8",
  "libexpat1",
  "libncursesw6",
  "libreadline8",
  "libbz2-1.0",
  "liblzma5",
  "libuuid1",
  "libdb5.3",
  "libcrypt1",
  "libnsl2",
  "libtirpc3",
];

/** Packages of the run image, on top of debootstrap's minbase. */
export const RUN_IMAGE_PACKAGES: readonly string[] = [
  "ca-certificates",
  "libssl3",
  "zlib1g",
  "netbase",
  "tzdata",
  "libatomic1",
  // The libraries a CPython's extension modules link (ldd over lib-dynload/*.so of the
  // Debian-made CPython in builders/reference/local-python.ts, which is also what
  // python-build-standalone's _ssl, _sqlite3, _ctypes and readline expect of the system).
  // Some are in minbase already; listing them says why they must stay.
  ...PYTHON_RUNTIME_LIBRARIES,
];

/**
 * Packages of the build image: the run set (without the Python libraries, which python3
 * pulls in) plus build tools.
 */
export const BUILD_IMAGE_PACKAGES: readonly string[] = [
  // The run set as it was before the Python libraries, written out: the rootfs cache key is
  // the package set, and a changed build set costs ~11 min of emulated debootstrap for arm64
  // on every fresh machine. The build image has them anyway: python3 depends on them.
  "ca-certificates",
  "libssl3",
  "zlib1g",
  "netbase",
  "tzdata",
  "libatomic1",
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
