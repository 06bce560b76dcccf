# shellcheck shell=bash
# Sourced by scripts/fetch-qemu.sh and scripts/fetch-passt.sh: one Debian suite's index, trusted
# the way apt trusts it. The suite's InRelease is checked with gpgv against Debian's archive
# keyring, and the index against the SHA256 InRelease gives for it.
#
# Needs from the sourcing script: MIRROR, KEYRING, and its say/die functions.

# debian_index <who> <suite> <index> <out>: writes the suite's <index> (an .xz path under
# dists/<suite>/, e.g. main/binary-amd64/Packages.xz) uncompressed to <out>. Returns 1 with a
# line when the mirror has no such suite or the suite no such index (the caller tries its next
# suite); a signature or checksum that does not match ends the script.
debian_index() {
  local who="$1" suite="$2" index="$3" out="$4" want
  curl -fsSL --retry 3 --connect-timeout 20 -o "$out.InRelease" "$MIRROR/dists/$suite/InRelease" ||
    { say "$who: $suite not on $MIRROR, next suite"; return 1; }
  gpgv --quiet --keyring "$KEYRING" --output "$out.Release" "$out.InRelease" 2>/dev/null ||
    die "fetch-$who: $MIRROR/dists/$suite/InRelease: signature does not verify against $KEYRING" \
      "apt-get install debian-archive-keyring, or check the mirror (CNBKIT_DEBIAN_MIRROR)"
  want="$(awk -v f="$index" '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 == f { print $1 }' "$out.Release")"
  [ -n "$want" ] || { say "$who: $suite has no $index, next suite"; return 1; }
  curl -fsSL --retry 3 --connect-timeout 20 -o "$out.xz" "$MIRROR/dists/$suite/$index" ||
    die "fetch-$who: $MIRROR/dists/$suite/$index: download failed" "retry, or check the mirror (CNBKIT_DEBIAN_MIRROR)"
  [ "$(sha256sum "$out.xz" | cut -d' ' -f1)" = "$want" ] ||
    die "fetch-$who: $suite $index: sha256 differs from InRelease's" "retry; a mirror mid-sync can cause this"
  xz -dc "$out.xz" >"$out" || die "fetch-$who: $suite $index: not an xz file" "retry; a mirror mid-sync can cause this"
}
