#!/usr/bin/env bash
# Builds tools/referrers-registry (go-containerregistry's registry with the OCI 1.1 referrers
# API on) into ~/.cache/cnbkit/referrers-registry/<digest of its sources>/referrers-registry.
# Only tests use it: no registry in reach serves the referrers API (see its main.go).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$ROOT/tools/referrers-registry"
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
key="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
dir="$CACHE/referrers-registry/$key"
if [ -x "$dir/referrers-registry" ]; then echo "$dir/referrers-registry"; exit 0; fi

printf '[setup] building tools/referrers-registry with Go (first run only)\n'
mkdir -p "$dir"
tmp="$(mktemp "$dir/.build.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
(cd "$src" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -ldflags "-s -w" -o "$tmp" .)
mv "$tmp" "$dir/referrers-registry"
echo "$dir/referrers-registry"
