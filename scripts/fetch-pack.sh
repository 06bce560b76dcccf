#!/usr/bin/env bash
# Builds pack (the CNB reference CLI) from its Go module into ~/.cache/cnbkit/pack/<version>/pack.
# Only tests use it: test/pack-interop checks cnbkit's buildpackages and builders with pack,
# which reads and writes them without a Docker daemon when --publish is used.
# `go install github.com/buildpacks/pack/cmd/pack@v` refuses the module's `replace` directive,
# so the module is downloaded and built inside its own directory (its main package is the root).
set -euo pipefail

PACK_VERSION="${CNBKIT_PACK_VERSION:-0.40.6}"
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
dir="$CACHE/pack/$PACK_VERSION"
[ -x "$dir/pack" ] && exit 0

printf '[setup] building pack v%s with Go (first run only; a few minutes)\n' "$PACK_VERSION"
mod="github.com/buildpacks/pack@v$PACK_VERSION"
GOFLAGS=-mod=mod go mod download "$mod"
src="$(go env GOMODCACHE)/$mod"
mkdir -p "$dir"
tmp="$(mktemp "$dir/.pack.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
# The module cache is read-only, so -buildvcs=false and output outside it.
(cd "$src" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" \
  go build -trimpath -ldflags "-s -w -X 'github.com/buildpacks/pack/pkg/client.Version=$PACK_VERSION'" -o "$tmp" .)
chmod 755 "$tmp"
mv "$tmp" "$dir/pack"
trap - EXIT
