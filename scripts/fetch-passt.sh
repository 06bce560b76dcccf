#!/usr/bin/env bash
# Builds pasta (Debian source package passt) from a newer Debian suite into
# ~/.cache/cnbkit/passt/<version>/ and installs it as /usr/local/bin/pasta, ahead of Debian 12's
# /usr/bin/pasta on PATH, for the isolated build network (container/network-namespace.ts).
#
# Why not bookworm's passt (0.0~git20230309): it leaves Nagle's algorithm on for the sockets it
# opens to the outside. When a program in the namespace sends a request in two segments (a TLS
# Finished record, then the HTTP request: what curl and Maven do on each new connection), pasta
# writes them with two sendmsg calls, and the kernel holds the second until the server ACKs the
# first, which a server waiting for the whole request delays by ~40 ms. Measured: a small GET
# through it had its first byte 45 ms after the TLS handshake against 8 ms on the host, and
# java-hello's cold build (hundreds of Maven connections) was 13% slower. Debian 13's passt
# (0.0~git20250503) sets TCP_NODELAY on those sockets (tcp_sock_set_nodelay); trixie's build needs glibc 2.38, so its
# .deb does not install on bookworm, but its source builds here with gcc and make in a minute.
#
# Trust: the suite's InRelease is checked with gpgv against Debian's archive keyring, the
# Sources index against InRelease's SHA256, each source tarball against the index's SHA256. The
# Debian patches of that version are applied, as its package does. Quick when installed:
# nothing is fetched when /usr/local/bin/pasta is already the cached build.
#
# Environment: CNBKIT_CACHE (cache root), CNBKIT_PASST_SUITES (suites tried in order; default
# "trixie"), CNBKIT_DEBIAN_MIRROR (default http://deb.debian.org/debian), CNBKIT_PASST_PREFIX
# (where bin/pasta goes; default /usr/local).
set -euo pipefail
# shellcheck source=scripts/debian-index.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-index.sh"

CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
MIRROR="${CNBKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITES="${CNBKIT_PASST_SUITES:-trixie}"
PREFIX="${CNBKIT_PASST_PREFIX:-/usr/local}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
say() { printf '[setup] %s\n' "$*"; }
die() { printf 'error: %s\n' "$1" >&2; [ -z "${2:-}" ] || printf 'hint: %s\n' "$2" >&2; exit 1; }

dir="$CACHE/passt"
# Installed and built here: PATH's pasta is the cached build's. (Not `pasta --version`: it
# exits without flushing stdout, so a pipe reads nothing.)
if [ -f "$dir/current/pasta" ] && cmp -s "$PREFIX/bin/pasta" "$dir/current/pasta"; then exit 0; fi

for tool in curl gpgv xz sha256sum make cc patch; do
  command -v "$tool" >/dev/null || die "fetch-passt: $tool is missing" "apt-get install curl gpgv xz-utils make gcc libc6-dev patch"
done
mkdir -p "$dir"
work="$(mktemp -d "$dir/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fetch() { curl -fsSL --retry 3 --connect-timeout 20 -o "$2" "$1"; }

# Prints "<version> <Directory>" then "<sha256> <file>" lines of source package $2 in Sources $1.
src_entry() {
  awk -v RS= -v FS='\n' -v want="$2" '$1 == "Package: " want {
    ver = ""; d = ""; n = 0; in_sums = 0
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^Version: /) ver = substr($i, 10)
      else if ($i ~ /^Directory: /) d = substr($i, 12)
      if ($i ~ /^Checksums-Sha256:/) { in_sums = 1; continue }
      if ($i !~ /^ /) in_sums = 0
      if (in_sums) { split($i, f, " "); sums[++n] = f[1] " " f[3] }
    }
    print ver, d; for (k = 1; k <= n; k++) print sums[k]; exit
  }' "$1"
}

found=""
for suite in $SUITES; do
  debian_index passt "$suite" main/source/Sources.xz "$work/Sources" || continue
  src_entry "$work/Sources" passt >"$work/entry"
  read -r version directory <"$work/entry" || true
  [ -n "${version:-}" ] || { say "passt: $suite has no passt, next suite"; continue; }
  # Versions are 0.0~gitYYYYMMDD.<commit>; 20250503 is the first seen to set TCP_NODELAY.
  date="$(printf '%s' "$version" | sed -n 's/^0\.0~git\([0-9]\{8\}\)\..*/\1/p')"
  [ "${date:-0}" -ge 20250503 ] || { say "passt: $suite's passt is $version (older than 20250503), next suite"; continue; }
  found="$version"
  break
done
[ -n "$found" ] ||
  die "fetch-passt: no passt 0.0~git20250503 or later in Debian suites: $SUITES" \
    "set CNBKIT_PASST_SUITES to a suite that has one (e.g. trixie or sid), or CNBKIT_DEBIAN_MIRROR to a reachable mirror"

target="$dir/$found"
if [ ! -x "$target/pasta" ]; then
  say "passt: building pasta $found ($suite's source) into $target"
  mkdir -p "$work/src"
  # The tarballs only: the .dsc adds nothing the index's checksums do not already pin.
  tail -n +2 "$work/entry" | grep '\.tar\.' | while read -r sha file; do
    fetch "$MIRROR/$directory/$file" "$work/$file"
    [ "$(sha256sum "$work/$file" | cut -d' ' -f1)" = "$sha" ] ||
      die "fetch-passt: $MIRROR/$directory/$file: sha256 differs from $suite's Sources index" "retry; a mirror mid-sync can cause this"
  done
  orig="$(ls "$work"/*.orig.tar.* | head -n 1)"
  deb="$(ls "$work"/*.debian.tar.* | head -n 1)"
  tar -xf "$orig" -C "$work/src" --strip-components=1
  tar -xf "$deb" -C "$work/src"
  if [ -f "$work/src/debian/patches/series" ]; then
    grep -v '^\s*\(#\|$\)' "$work/src/debian/patches/series" | while read -r p _; do
      patch -s -p1 -d "$work/src" <"$work/src/debian/patches/$p"
    done
  fi
  # pasta re-executes itself as <its path>.avx2 where the CPU has AVX2 (as the package does).
  bins="passt"
  [ "$(uname -m)" != x86_64 ] || bins="passt passt.avx2"
  # shellcheck disable=SC2086
  make -s -C "$work/src" $bins VERSION="$found" >"$work/make.log" 2>&1 ||
    { tail -n 20 "$work/make.log" >&2; die "fetch-passt: building passt $found failed (above)" "apt-get install gcc make libc6-dev"; }
  out="$work/out"
  mkdir -p "$out"
  cp "$work/src/passt" "$out/pasta"
  [ ! -f "$work/src/passt.avx2" ] || cp "$work/src/passt.avx2" "$out/pasta.avx2"
  printf 'suite %s\nsource passt %s\nfiles %s/%s\n' "$suite" "$found" "$MIRROR" "$directory" >"$out/SOURCE"
  if [ -d "$target" ]; then rm -rf "$target"; fi
  mv -T "$out" "$target"
fi
ln -sfn "$found" "$dir/.current.$$"
mv -T "$dir/.current.$$" "$dir/current"
# Copies, not links into the cache: a wiped cache must not leave PATH's pasta dangling.
mkdir -p "$PREFIX/bin"
for b in pasta pasta.avx2; do
  [ ! -f "$target/$b" ] || install -m 0755 "$target/$b" "$PREFIX/bin/.$b.$$"
  [ ! -f "$target/$b" ] || mv -f "$PREFIX/bin/.$b.$$" "$PREFIX/bin/$b"
done
say "passt: pasta $found in $PREFIX/bin"
