#!/usr/bin/env bash
# Fetches a static qemu user-mode emulator >= 8.0 for the other of amd64/arm64 (qemu-aarch64 on
# an amd64 machine, qemu-x86_64 on an arm64 one) into ~/.cache/cnbkit/qemu/<version>/, for
# foreign-arch base images, builds and apps (builder-packager/src/base/binfmt.ts registers it).
#
# Why not bookworm's own qemu-user-static (7.2): Go >= 1.23 programs (the lifecycle) hang in
# os/exec under QEMU user mode 7.x (golang/go#68976, #69259), so an arm64 build stalled for
# good at "===> DETECTING". A newer Debian suite's `qemu-user` carries static binaries that
# run on bookworm. See docs/multi-arch-internals.md#which-qemu.
#
# Trust: the suite's InRelease is checked with gpgv against Debian's archive keyring, the
# Packages index against InRelease's SHA256, the .deb against the index's SHA256. Only the one
# emulator binary and its binfmt_misc line are kept. Quick when cached: nothing is fetched
# when ~/.cache/cnbkit/qemu/current already holds the emulator.
#
# Environment: CNBKIT_CACHE (cache root), CNBKIT_QEMU_SUITES (suites tried in order; default
# "trixie bookworm-backports": Debian 13's point releases carry qemu fixes sooner),
# CNBKIT_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
# shellcheck source=scripts/debian-index.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-index.sh"

CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
MIRROR="${CNBKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITES="${CNBKIT_QEMU_SUITES:-trixie bookworm-backports}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
say() { printf '[setup] %s\n' "$*"; }
die() { printf 'error: %s\n' "$1" >&2; [ -z "${2:-}" ] || printf 'hint: %s\n' "$2" >&2; exit 1; }

host="$(dpkg --print-architecture)"
case "$host" in
  amd64) q=aarch64 foreign=arm64 ;;
  arm64) q=x86_64 foreign=amd64 ;;
  *) exit 0 ;; # no foreign arch of ours to emulate
esac
dir="$CACHE/qemu"
if [ -x "$dir/current/qemu-$q-static" ] && [ -f "$dir/current/qemu-$q.conf" ]; then exit 0; fi

for tool in curl gpgv xz dpkg-deb sha256sum; do
  command -v "$tool" >/dev/null || die "fetch-qemu: $tool is missing" "apt-get install curl gpgv xz-utils"
done
# Any readelf reads any ELF's program headers; setup.sh installs the cross binutils.
readelf="$(command -v readelf || command -v x86_64-linux-gnu-readelf || command -v aarch64-linux-gnu-readelf)" ||
  die "fetch-qemu: readelf is missing" "apt-get install binutils"
mkdir -p "$dir"
work="$(mktemp -d "$dir/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fetch() { curl -fsSL --retry 3 --connect-timeout 20 -o "$2" "$1"; }

# Prints "<version> <Filename> <SHA256>" of the newest-listed package $2 in Packages file $1.
pkg_entry() {
  awk -v RS= -v FS='\n' -v want="$2" '{
    name = ""; ver = ""; file = ""; sum = ""
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^Package: /) name = substr($i, 10)
      else if ($i ~ /^Version: /) ver = substr($i, 10)
      else if ($i ~ /^Filename: /) file = substr($i, 11)
      else if ($i ~ /^SHA256: /) sum = substr($i, 9)
    }
    if (name == want) print ver, file, sum
  }' "$1" | tail -n 1
}

found=""
for suite in $SUITES; do
  debian_index qemu "$suite" "main/binary-$host/Packages.xz" "$work/Packages" || continue
  # Since Debian 13 the static binaries are in qemu-user (qemu-user-static is a transitional
  # package); older suites have them in qemu-user-static.
  for pkg in qemu-user qemu-user-static; do
    read -r version filename sha256 < <(pkg_entry "$work/Packages" "$pkg"; echo) || true
    [ -n "${version:-}" ] || continue
    upstream="${version#*:}"
    [ "${upstream%%.*}" -ge 8 ] 2>/dev/null || { say "qemu: $suite's $pkg is $upstream (< 8.0), next"; continue; }
    say "qemu: fetching $pkg $version ($suite, $host) for linux/$foreign emulation"
    fetch "$MIRROR/$filename" "$work/qemu.deb"
    [ "$(sha256sum "$work/qemu.deb" | cut -d' ' -f1)" = "$sha256" ] ||
      die "fetch-qemu: $MIRROR/$filename: sha256 differs from $suite's Packages index" "retry; a mirror mid-sync can cause this"
    # One pass over the data tarball: each layout's names are asked for, the absent ones fail.
    mkdir -p "$work/x"
    dpkg-deb --fsys-tarfile "$work/qemu.deb" | tar -x -C "$work/x" "./usr/bin/qemu-$q-static" "./usr/bin/qemu-$q" \
      "./usr/share/qemu/binfmt.d/qemu-$q.conf" "./usr/lib/binfmt.d/qemu-$q.conf" 2>/dev/null || true
    bin="" conf=""
    for b in "usr/bin/qemu-$q-static" "usr/bin/qemu-$q"; do
      [ -f "$work/x/$b" ] && [ ! -L "$work/x/$b" ] && { bin="$b"; break; }
    done
    for c in "usr/share/qemu/binfmt.d/qemu-$q.conf" "usr/lib/binfmt.d/qemu-$q.conf"; do
      [ -f "$work/x/$c" ] && { conf="$c"; break; }
    done
    if [ -z "$bin" ] || [ -z "$conf" ]; then
      say "qemu: $pkg $version has no qemu-$q binary and binfmt line, next"
      rm -rf "$work/qemu.deb" "$work/x"
      continue
    fi
    rm -f "$work/qemu.deb"
    # Static, or it cannot run inside a foreign rootfs (there is no host libc there).
    if "$readelf" -l "$work/x/$bin" | grep -q 'program interpreter'; then
      say "qemu: $pkg $version's qemu-$q is dynamically linked, next"
      continue
    fi
    found="$upstream"
    break 2
  done
done
[ -n "$found" ] ||
  die "fetch-qemu: no qemu-user >= 8.0 with a static qemu-$q in Debian suites: $SUITES" \
    "set CNBKIT_QEMU_SUITES to a suite that has one (e.g. trixie or sid), or CNBKIT_DEBIAN_MIRROR to a reachable mirror"

target="$dir/$found"
out="$work/out"
mkdir -p "$out"
mv "$work/x/$bin" "$out/qemu-$q-static"
chmod 0755 "$out/qemu-$q-static"
# The package's binfmt_misc line (":name:M::magic:mask:interpreter:flags"), ready to write to
# /proc/sys/fs/binfmt_misc/register: this emulator as interpreter, and the F flag.
awk -F: -v OFS=: -v interp="$target/qemu-$q-static" 'NF == 8 {
  $7 = interp; if ($8 !~ /F/) $8 = $8 "F"; print; n++ } END { exit n != 1 }' "$work/x/$conf" >"$out/qemu-$q.conf" ||
  die "fetch-qemu: $pkg $version: ${conf#usr/} is not one binfmt_misc line" "report this; CNBKIT_QEMU_SUITES picks another suite"
"$out/qemu-$q-static" --version | head -n 1 >"$out/VERSION"
printf 'suite %s\npackage %s %s\nfile %s/%s\nsha256 %s\n' "$suite" "$pkg" "$version" "$MIRROR" "$filename" "$sha256" >"$out/SOURCE"
if [ -d "$target" ]; then rm -rf "$out"; else mv -T "$out" "$target"; fi
ln -sfn "$found" "$dir/.current.$$"
mv -T "$dir/.current.$$" "$dir/current"
say "qemu: $(cat "$target/VERSION") in $target"
