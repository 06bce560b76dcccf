#!/usr/bin/env bash
# Installs what cnbkit needs, idempotently; quick when everything is already there (each step
# checks before it acts). What it installs depends on who asks:
#
#   scripts/setup.sh                 the main job (`npm run main`, `npm run setup`): this machine's arch
#   scripts/setup.sh --arch arm64    the main job for the other of amd64/arm64 (`main.sh --arch arm64`)
#   scripts/setup.sh --tests         everything `npm run test:all` uses (scripts/test.sh)
#
# What, and where:
#   - npm workspaces (npm ci)                       -> node_modules/          [always]
#   - Debian packages: runc umoci skopeo debootstrap ... (the main job's)    [always]
#     + the tests' (docker-registry tinyproxy busybox apache2-utils attr docker.io ...) [--tests]
#     + the other arch's cross binutils and arm64 libraries                  [--arch, --tests]
#   - the CNB lifecycle built with Go              -> ~/.cache/cnbkit/lifecycle/<version>/ (this
#     machine's arch)                                                         [always]
#     and <version>-<arch> (the other of amd64/arm64, cross-compiled)         [--arch, --tests]
#   - pasta from a newer Debian suite's passt source (scripts/fetch-passt.sh)
#                                                  -> ~/.cache/cnbkit/passt/<version>/, /usr/local/bin/pasta [always]
#   - qemu >= 8 for the other arch (scripts/fetch-qemu.sh) -> ~/.cache/cnbkit/qemu/<version>/
#                                                                             [--arch, --tests]
#   - Verdaccio, an npm registry for test/packages (scripts/fetch-verdaccio.sh)
#                                                  -> ~/.cache/cnbkit/verdaccio/<version>/ [--tests]
#   - pack, cosign and tools/referrers-registry built with Go (scripts/fetch-pack.sh,
#     fetch-cosign.sh, fetch-referrers-registry.sh) -> ~/.cache/cnbkit/{pack,cosign,referrers-registry}/<key>/
#                                                                             [--tests]
#     (the tests that use them also run these scripts themselves on first need)
set -euo pipefail

LIFECYCLE_VERSION="${CNBKIT_LIFECYCLE_VERSION:-0.21.17}"
# The parallel gzip the patched lifecycle compresses layers with (lifecycle-compress-once.go.txt).
PGZIP_VERSION=v1.2.6
# The layers/writer.go that lifecycle-gzip-while-tarring.go.txt replaces (lifecycle v0.21.17's).
LIFECYCLE_LAYER_WRITER_SHA256=2df989298b6d21a3862e9dbbdb8d42a955827789ab2e66ba2c8f1125f87bbdd1
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf '[setup] %s\n' "$*"; }
# shellcheck source=scripts/lifecycle-build.sh
source "$ROOT/scripts/lifecycle-build.sh"

tests=false
other_arch=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --tests) tests=true ;;
    --arch)
      case "${2:-}" in amd64 | arm64) other_arch="$2" ;; *) echo "error: --arch takes amd64 or arm64" >&2; exit 2 ;; esac
      shift
      ;;
    *) echo "error: unknown argument $1 (usage: scripts/setup.sh [--arch amd64|arm64] [--tests])" >&2; exit 2 ;;
  esac
  shift
done
host_arch="$(dpkg --print-architecture)"
[ "$other_arch" != "$host_arch" ] || other_arch=""
# The tests build and run for both arches.
if $tests; then
  case "$host_arch" in amd64) other_arch=arm64 ;; arm64) other_arch=amd64 ;; esac
fi

# --- npm --------------------------------------------------------------------
# Re-run npm ci only when the lockfile changed since the last install.
stamp="$ROOT/node_modules/.cnbkit-lock-sha256"
want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

# The CLI is bundled so it runs on plain Node; a second or two, so always redone.
(cd "$ROOT" && node scripts/build-cli.mjs)

# --- Debian packages --------------------------------------------------------
# The main job's: runc/umoci/skopeo, the real container parts the platform uses; debootstrap,
# the Debian base images; curl, xz, zstd, unzip and zip, the tarballs and archives the base
# images and the local builder's inventories are made from; binutils for this arch: readelf
# and strip (the Node binaries are stripped before they go into a builder). passt: pasta,
# which gives each build its isolated network (container/network-namespace.ts); gcc, make,
# libc6-dev and patch build the newer pasta that scripts/fetch-passt.sh puts ahead of it.
binutils_of() { case "$1" in amd64) echo binutils-x86-64-linux-gnu ;; arm64) echo binutils-aarch64-linux-gnu ;; esac; }
pkgs=(runc umoci skopeo debootstrap curl xz-utils zstd unzip zip passt gcc make libc6-dev patch gpgv "$(binutils_of "$host_arch")")
# The other arch's (main.sh --arch, and the tests): its binutils, and the arm64 libraries that
# run arm64 Node binaries (compiled buildpacks) here under qemu. Not Debian 12's
# qemu-user-static (7.2), under which Go programs hang: scripts/fetch-qemu.sh fetches a newer
# qemu below.
if [ -n "$other_arch" ]; then
  pkgs+=("$(binutils_of "$other_arch")")
  [ "$host_arch" != amd64 ] || pkgs+=(libc6:arm64 libstdc++6:arm64 libatomic1:arm64)
fi
# The tests': docker-registry, the registry they push to; apache2-utils: htpasswd for the
# registry auth tests. busybox: its sh runs the sh bin/detect compiled from detect rules
# (test/detect-rules), beside dash, so the script stays POSIX. tinyproxy: the real HTTP proxy
# the proxy tests (test/proxy) route downloads through. attr: getfattr, which reads
# overlayfs's opaque-directory marks when `base extend` turns an upper dir into a layer.
# libcap2-bin: in this list since the first setup; no test names its tools (capsh, setcap)
# today, so it stays on the tests' side. chromium: the headless browser the fleet HTML
# report's test renders the page in (a screenshot and the DOM it made). docker.io: dockerd and
# its CLI, which the long suite's index-readers test starts on a socket of its own to show that
# Docker pulls and runs a multi-arch app index; cnbkit itself never needs a daemon.
! $tests || pkgs+=(docker-registry busybox tinyproxy attr libcap2-bin apache2-utils chromium docker.io)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: Debian packages missing: ${missing[*]}; run this script as root or apt-get install them" >&2
    exit 1
  fi
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if printf '%s\n' "${missing[@]}" | grep -q ':arm64$'; then
    dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The distribution registry's Debian package starts a system service on :5000; tests
  # start their own registries on free loopback ports, so stop the packaged one.
  (systemctl disable --now docker-registry >/dev/null 2>&1 || service docker-registry stop >/dev/null 2>&1 || true)
  # docker.io's package starts a system dockerd (with its bridge and iptables rules) where an
  # init system lets it; the test starts its own on a socket in a temp dir, so stop that one.
  if printf '%s\n' "${missing[@]}" | grep -qx docker.io; then
    (systemctl disable --now docker.service docker.socket >/dev/null 2>&1 || service docker stop >/dev/null 2>&1 || true)
  fi
fi

# --- pasta ------------------------------------------------------------------------
# Debian 12's pasta leaves Nagle on for its outbound sockets, so a request written in two
# parts waits ~40 ms for the server's delayed ACK (java-hello built 13% slower isolated); a
# newer Debian suite's passt, built from source -> ~/.cache/cnbkit/passt/<version>/, installed
# as /usr/local/bin/pasta. If no suite has one, Debian 12's still works, just slower.
bash "$ROOT/scripts/fetch-passt.sh" || say "passt: keeping Debian 12's pasta (slower isolated builds)"

# --- qemu for the other arch ---------------------------------------------------
# A static qemu >= 8.0 from a newer Debian suite, for arm64 base images, builders and apps
# on an amd64 machine (and the reverse); cnbkit registers it in binfmt_misc when it needs it.
[ -z "$other_arch" ] || bash "$ROOT/scripts/fetch-qemu.sh"

# --- Verdaccio ------------------------------------------------------------------
# A private npm registry for test/packages (the packages published and installed as a user would).
! $tests || bash "$ROOT/scripts/fetch-verdaccio.sh"

# --- CNB lifecycle ------------------------------------------------------------
# Built with Go from the module proxy and laid out like a release tarball's lifecycle/
# directory, including the lifecycle.toml that builders read.
#
# `go install github.com/buildpacks/lifecycle/cmd/lifecycle@vX` does not work here: the
# lifecycle requires github.com/osscontainertools/kaniko, which the Go module proxy refuses
# (403). kaniko is used by one package only, the extender's Dockerfile applier, so we build
# from a copy of the module with that package replaced by one that refuses image extensions.
# Everything cnbkit uses (analyze, detect, restore, build, export, rebase, launch) is untouched.
# One build per arch: this machine's in lifecycle/<version>, the other (cross-compiled, for
# builders of that arch; run here under qemu) in lifecycle/<version>-<arch>.
# pack (test/pack-interop), cosign and tools/referrers-registry (the supply-chain tests)
# build at the same time as the lifecycle: on a fresh machine each spends
# minutes fetching modules through the proxy, and one's downloads overlap the others'
# compiles. Their lines are prefixed; they are waited for below. Each script is a no-op once
# its binary is cached (~/.cache/cnbkit/<tool>/<version>/). Only for the tests: the main job
# uses none of them.
tool_pids=()
test_tools=()
! $tests || test_tools=(pack cosign referrers-registry)
for tool in "${test_tools[@]}"; do
  # Each in its own process group, so a failed lifecycle build stops its go build too.
  setsid bash "$ROOT/scripts/fetch-$tool.sh" > >(sed -u "/^\[setup\]/!s/^/[$tool] /") 2>&1 &
  tool_pids+=("$!:$tool")
done
stop_tools() { for p in "${tool_pids[@]}"; do kill -- "-${p%%:*}" 2>/dev/null || true; done; }
trap stop_tools EXIT
# What cnbkit changes in the lifecycle's source (the two scripts/lifecycle-*.go.txt): a lifecycle
# built from other patches is built again.
patches_key="$( (cat "$ROOT/scripts/lifecycle-"*.go.txt; echo "pgzip $PGZIP_VERSION") | sha256sum | cut -c1-16)"
build_lifecycle() { # <goarch> <dir>
  local goarch="$1" lc="$2"
  if [ -x "$lc/lifecycle" ] && [ -x "$lc/launcher" ] && [ -f "$lc/lifecycle.toml" ] &&
    [ "$(cat "$lc/.cnbkit-patches" 2>/dev/null)" = "$patches_key" ]; then return; fi
  say "building lifecycle v$LIFECYCLE_VERSION for $goarch with Go (first run only; ~1 min)"
  mkdir -p "$CACHE/lifecycle"
  work="$(mktemp -d "$CACHE/lifecycle/.build.XXXXXX")"
  trap 'rm -rf "$work"; stop_tools' EXIT
  lifecycle_source "$work"
  # Buildpack layers bound for the image are gzipped while their tar is written
  # (lifecycle-gzip-while-tarring.go.txt says how, and what it leaves as it was).
  if [ "$(sha256sum "$work/src/layers/writer.go" | cut -d' ' -f1)" != "$LIFECYCLE_LAYER_WRITER_SHA256" ] ||
    [ "$(grep -c 'layer, err := e.LayerFactory.DirLayer(fsLayer.Identifier(), fsLayer.Path(), createdBy)' "$work/src/phase/exporter.go")" != 1 ]; then
    echo "error: lifecycle v$LIFECYCLE_VERSION's layers/writer.go or phase/exporter.go is not the one scripts/lifecycle-gzip-while-tarring.go.txt patches" >&2
    exit 1
  fi
  cp "$ROOT/scripts/lifecycle-gzip-while-tarring.go.txt" "$work/src/layers/writer.go"
  sed -i 's|^\(\s*\)layer, err := e.LayerFactory.DirLayer(fsLayer.Identifier(), fsLayer.Path(), createdBy)|\1layers.MarkForImage(fsLayer.Identifier())\n&|' "$work/src/phase/exporter.go"
  rm -f "$work/src/layers/"*_test.go
  cp "$ROOT/scripts/lifecycle-gzip-while-tarring_test.go.txt" "$work/src/layers/cnbkit_gzip_while_tarring_test.go"
  # imgutil compresses each exported layer once instead of twice, on every core
  # (lifecycle-compress-once.go.txt says why, and why its bytes depend on nothing but the tar).
  local imgutil_version
  imgutil_version="$(awk '$1 == "github.com/buildpacks/imgutil" { print $2 }' "$work/src/go.mod")"
  GOFLAGS=-mod=mod go mod download "github.com/buildpacks/imgutil@$imgutil_version"
  cp -r "$(go env GOMODCACHE)/github.com/buildpacks/imgutil@$imgutil_version" "$work/imgutil"
  chmod -R u+w "$work/imgutil"
  local core="$work/imgutil/cnb_image.go"
  if [ "$(grep -c 'tarball\.' "$core")" != 1 ] || ! grep -q 'layer, err := tarball.LayerFromFile(path)' "$core"; then
    echo "error: imgutil $imgutil_version's cnb_image.go is not the one scripts/lifecycle-compress-once.go.txt patches" >&2
    exit 1
  fi
  sed -i -e 's|layer, err := tarball.LayerFromFile(path)|layer, err := layerFromTarOnce(path)|' \
    -e '\|"github.com/google/go-containerregistry/pkg/v1/tarball"|d' "$core"
  cp "$ROOT/scripts/lifecycle-compress-once.go.txt" "$work/imgutil/cnbkit_compress_once.go"
  # Proof before use: the same tar as go-containerregistry's own path, a blob named truly, the
  # same bytes on any number of cores (upstream's tests are left out: they need modules the
  # lifecycle does not).
  rm -f "$work/imgutil/"*_test.go
  cp "$ROOT/scripts/lifecycle-compress-once_test.go.txt" "$work/imgutil/cnbkit_compress_once_test.go"
  # The lifecycle's module requires pgzip (parallel gzip; it has no requirements of its own and
  # compresses with the klauspost/compress the lifecycle already has), and the test runs from
  # there: run from imgutil's own module, Go would resolve imgutil's whole module graph, which
  # names versions the module proxy no longer serves.
  (cd "$work/src" && go mod edit -replace "github.com/buildpacks/imgutil=../imgutil" \
    -require "github.com/klauspost/pgzip@$PGZIP_VERSION")
  (cd "$work/src" && GOFLAGS="-mod=mod -buildvcs=false" go test -count=1 -run TestCnbkitGzipWhileTarring ./layers >/dev/null) || {
    echo "error: the gzip-while-tarring patch fails its test (run it: scripts/lifecycle-gzip-while-tarring_test.go.txt)" >&2
    exit 1
  }
  (cd "$work/src" && GOFLAGS="-mod=mod -buildvcs=false" go test -count=1 -run TestCnbkitCompressOnce github.com/buildpacks/imgutil >/dev/null) || {
    echo "error: the compress-once patch fails its test for imgutil $imgutil_version (run it: scripts/lifecycle-compress-once_test.go.txt)" >&2
    exit 1
  }
  lifecycle_install "$work" "$goarch" "$patches_key" "$lc"
  rm -rf "$work"
  trap stop_tools EXIT
}
lc="$CACHE/lifecycle/$LIFECYCLE_VERSION"
build_lifecycle "$host_arch" "$lc"
[ -z "$other_arch" ] || build_lifecycle "$other_arch" "$lc-$other_arch"
for p in "${tool_pids[@]}"; do
  wait "${p%%:*}" || { echo "error: building ${p#*:} failed (its [${p#*:}] lines above say why); rerun scripts/setup.sh" >&2; exit 1; }
done
trap - EXIT
"$lc/lifecycle" -version >/dev/null
extra=""
[ -z "$other_arch" ] || extra=", the $other_arch one in $lc-$other_arch"
! $tests || extra+="; pack, cosign, Verdaccio and the referrers registry for the tests"
say "ready (lifecycle $("$lc/lifecycle" -version) in $lc$extra)"
