#!/usr/bin/env bash
# Builds a Go command from its module (through the Go module proxy) into
# ~/.cache/cnbkit/<name>/<version>/<binary>, once: a no-op when that binary is there.
# Usage: go-install-tool.sh <name> <binary> <package path> <version> [extra -ldflags]
set -euo pipefail

name="$1" binary="$2" pkg="$3" version="$4" ldflags="${5:-}"
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
dir="$CACHE/$name/$version"
[ -x "$dir/$binary" ] && exit 0

printf '[setup] building %s v%s with Go (first run only; a few minutes)\n' "$name" "$version"
mkdir -p "$dir"
tmp="$(mktemp -d "$dir/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOBIN="$tmp" \
  go install -trimpath -ldflags "-s -w $ldflags" "$pkg@v$version"
mv "$tmp/$binary" "$dir/$binary"
