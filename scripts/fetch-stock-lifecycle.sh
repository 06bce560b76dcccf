#!/usr/bin/env bash
# Builds the upstream CNB lifecycle with only the change reaching the Go module proxy forces
# (scripts/lifecycle-no-kaniko.go.txt) into ~/.cache/cnbkit/lifecycle/<version>-stock/, laid out
# like scripts/setup.sh's patched build (lifecycle, launcher, phase links, lifecycle.toml).
# Only the benches use it (bench:build's BENCH_BUILD_STOCK=1, bench:multi-arch's
# BENCH_MULTI_ARCH_STOCK=1), to print cnbkit's figures on the lifecycle users of kpack or
# `pack --lifecycle-image` run, beside the patched one setup.sh builds; setup.sh does not
# build it. Built on first use (~1 min), then a no-op. The other arch's build (cross-compiled,
# for the multi-arch builder) goes to <version>-stock-<arch>, as setup.sh's <version>-<arch>.
#
#   scripts/fetch-stock-lifecycle.sh [amd64|arm64]   prints the directory on its last line
set -euo pipefail

LIFECYCLE_VERSION="${CNBKIT_LIFECYCLE_VERSION:-0.21.17}"
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lifecycle-build.sh
source "$ROOT/scripts/lifecycle-build.sh"
host_arch="$(go env GOARCH)"
arch="${1:-$host_arch}"
case "$arch" in amd64 | arm64) ;; *) echo "error: scripts/fetch-stock-lifecycle.sh takes amd64 or arm64, not '$arch'" >&2; exit 2 ;; esac
lc="$CACHE/lifecycle/$LIFECYCLE_VERSION-stock"
[ "$arch" = "$host_arch" ] || lc+="-$arch"
# The one change, so a stock build made from another no-kaniko file is built again.
key="$(sha256sum "$ROOT/scripts/lifecycle-no-kaniko.go.txt" | cut -c1-16)"
if [ -x "$lc/lifecycle" ] && [ -x "$lc/launcher" ] && [ -f "$lc/lifecycle.toml" ] &&
  [ "$(cat "$lc/.cnbkit-patches" 2>/dev/null)" = "stock $key" ]; then
  echo "$lc"
  exit 0
fi

printf '[setup] building the stock lifecycle v%s for %s with Go (first use only; ~1 min)\n' "$LIFECYCLE_VERSION" "$arch" >&2
mkdir -p "$CACHE/lifecycle"
work="$(mktemp -d "$CACHE/lifecycle/.build-stock.XXXXXX")"
trap 'rm -rf "$work"' EXIT
lifecycle_source "$work" >&2
lifecycle_install "$work" "$arch" "stock $key" "$lc" >&2
rm -rf "$work"
trap - EXIT
echo "$lc"
