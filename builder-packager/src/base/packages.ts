/**
 * The Debian package sets of cnbkit's base images, one pair (run, build) per release.
 *
 * The run image carries only what a launched app needs at run time (TLS roots, libssl,
 * zlib, /etc/services and protocols, time zones, the libraries CPython's extension modules
 * link), plus libatomic1: the Node 26 runtime
 * inside compiled buildpacks links it, and buildpacks' exec.d programs (copies of the
 * buildpack binary) run in the app container. The build image adds what buildpacks
 * need to compile and unpack dependencies: a C/C++ toolchain and headers (native Node,
 * Python and Ruby extensions), git, python3 (node-gyp) and the archive tools. Buildpacks
 * download with Node's fetch; Debian 13's build image also has curl, because the build tools
 * users bring call it (hand-written Maven and Gradle wrappers, `curl | tar` in build scripts),
 * as Paketo's and Heroku's build images have it.
 *
 * Names are real binary packages of each release: debootstrap resolves no virtual
 * packages, so a name trixie renamed (the 64-bit time_t transition added `t64` to libssl3,
 * libreadline8, libdb5.3 and libtirpc3; the sonames stayed) fails the whole debootstrap.
 * The rootfs cache key is the package set: a changed set costs a fresh debootstrap on every
 * machine (arm64: minutes under qemu), so change them only for a reason.
 */

/** The run and build packages of one Debian release, on top of debootstrap's minbase. */
export interface ReleasePackages {
  /** The run image's (also the slim build image's). */
  run: readonly string[];
  /** The standard build image's. */
  build: readonly string[];
}

/** Build tools both releases' build images add (same names in 12 and 13). */
const BUILD_TOOLS: readonly string[] = [
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

/**
 * Debian 12's shared libraries CPython's extension modules link: _ssl (libssl3), _sqlite3,
 * _ctypes (libffi8), pyexpat, _curses (libncursesw6), readline, _bz2, _lzma, zlib, _uuid,
 * _dbm (libdb5.3) and _crypt/nis (libcrypt1, libnsl2 with libtirpc3).
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

/** Debian 12 (bookworm): unchanged since before Debian 13, so its cached rootfs trees stay valid. */
export const BOOKWORM_PACKAGES: ReleasePackages = {
  run: [
    "ca-certificates",
    "libssl3",
    "zlib1g",
    "netbase",
    "tzdata",
    "libatomic1",
    // The libraries a CPython's extension modules link (ldd over lib-dynload/*.so of the
    // Debian-made CPython in tools/local-builder/local-python.ts, which is also what
    // python-build-standalone's _ssl, _sqlite3, _ctypes and readline expect of the system).
    // Some are in minbase already; listing them says why they must stay.
    ...PYTHON_RUNTIME_LIBRARIES,
  ],
  // The run set as it was before the Python libraries, written out (python3 depends on them
  // anyway): an unchanged list keeps the cached build rootfs.
  build: ["ca-certificates", "libssl3", "zlib1g", "netbase", "tzdata", "libatomic1", ...BUILD_TOOLS],
};

/**
 * Debian 13's packages with the same sonames as {@link PYTHON_RUNTIME_LIBRARIES}: a CPython
 * built on 12 (the local 3.11) and trixie's own 3.13 both load them. Four were renamed by
 * the 64-bit time_t transition; the rest kept their names.
 */
export const TRIXIE_PYTHON_RUNTIME_LIBRARIES: readonly string[] = PYTHON_RUNTIME_LIBRARIES.map((name) =>
  ["libreadline8", "libdb5.3", "libtirpc3"].includes(name) ? `${name}t64` : name,
);

/**
 * What trixie's OpenJDK 21 and 25 (openjdk-NN-jre-headless) load at run time beyond minbase
 * (which has libc6, libgcc-s1, libstdc++6 and zlib1g): libjavajpeg links libjpeg.so.62 and
 * liblcms links liblcms2.so.2 (java.awt.image/ImageIO, color conversion). The rest of its
 * Depends stay out on purpose: libnss3 and libpcsclite1 are dlopened only by the PKCS#11 and
 * smartcard providers, ca-certificates-java and java-common are install-time helpers.
 */
export const JDK_RUNTIME_LIBRARIES: readonly string[] = ["libjpeg62-turbo", "liblcms2-2"];

/** What every Debian 13 image carries beyond minbase: TLS roots and libssl, zlib, /etc/services, time zones, libatomic. */
const TRIXIE_CORE: readonly string[] = ["ca-certificates", "libssl3t64", "zlib1g", "netbase", "tzdata", "libatomic1"];

/**
 * What Debian 13's build image adds to the tools: curl (see the top of this file), and
 * python3-setuptools, whose `distutils` shim lets node-gyp 8 and older (its gyp imports
 * `distutils`, gone from Python 3.12 on) compile native addons on trixie's Python 3.13, as
 * bookworm's 3.11 still does. Debian 12's set stays as it was, so its cached rootfs stays valid.
 */
const TRIXIE_BUILD_TOOLS: readonly string[] = [...BUILD_TOOLS, "curl", "python3-setuptools"];

/** Debian 13 (trixie): the run set in trixie's names plus the JDK's libraries. */
export const TRIXIE_PACKAGES: ReleasePackages = {
  run: [
    ...TRIXIE_CORE,
    ...TRIXIE_PYTHON_RUNTIME_LIBRARIES,
    // trixie's own CPython 3.13 (the local builder's default line) links libmpdec.so.4 for
    // _decimal; without it `import decimal` silently falls back to the slow _pydecimal. The
    // build image has it already: its python3 (3.13) depends on it.
    "libmpdec4",
    ...JDK_RUNTIME_LIBRARIES,
    // PostgreSQL's client library: a psycopg2 built from source in the build image (an old
    // psycopg2-binary pin with no wheel for the chosen CPython, as fastapi-realworld's lock has)
    // links libpq.so.5, so the extension loads only where libpq5 is; Paketo's full and
    // Heroku's run images carry it too.
    "libpq5",
  ],
  // The whole run set, so that anything that runs in the run image also runs during the
  // build (a JDK's jlink or a test step, a CPython's extension modules), plus the tools.
  build: [
    ...TRIXIE_CORE,
    ...TRIXIE_PYTHON_RUNTIME_LIBRARIES,
    ...JDK_RUNTIME_LIBRARIES,
    ...TRIXIE_BUILD_TOOLS,
    // pg_config and libpq's headers (libpq-dev, which pulls libpq5): psycopg2's setup.py asks
    // pg_config where they are, and without it a source build stops with "pg_config executable
    // not found". Paketo's full and Heroku's build images carry libpq-dev.
    "libpq-dev",
  ],
};

/**
 * What the tiny run image keeps of the run rootfs (tiny-rootfs.ts), the same names in 12 and
 * 13: base-files (os-release, the usrmerge links), glibc, libgcc-s1 and libstdc++6 (the JRE's
 * libjvm and libjli link both), zlib1g (libzip and the JRE's libjava), the CA certificates,
 * time zones and /etc/services. `readelf -d` over every ELF file of the local builder's
 * Debian JRE 21 names only these beyond the JRE's own libraries; the ones it links for
 * ImageIO, fonts, sound and smartcards (libjpeg, lcms2, freetype, harfbuzz, alsa, pcsclite)
 * stay out, as on Paketo's tiny. No shell, coreutils, apt or dpkg: those are Essential in
 * debootstrap, which is why tiny is cut from the run rootfs rather than debootstrapped.
 */
export const TINY_RUN_PACKAGES: readonly string[] = [
  "base-files",
  "libc6",
  "libgcc-s1",
  "libstdc++6",
  "zlib1g",
  "ca-certificates",
  "tzdata",
  "netbase",
];
