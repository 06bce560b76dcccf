#!/usr/bin/env bash
# Builds cosign (sigstore's signing CLI) from its Go module into ~/.cache/cnbkit/cosign/<version>/cosign.
# Only tests use it: the supply-chain tests check that what `cnbkit build --sign-key` and
# `cnbkit sign` write is what `cosign verify` and `cosign verify-attestation` accept, in a
# registry and in an OCI layout (with --insecure-ignore-tlog: no transparency log here).
set -euo pipefail

COSIGN_VERSION="${CNBKIT_COSIGN_VERSION:-2.6.5}"
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
dir="$CACHE/cosign/$COSIGN_VERSION"
[ -x "$dir/cosign" ] && exit 0

printf '[setup] building cosign v%s with Go (first run only; a few minutes)\n' "$COSIGN_VERSION"
mkdir -p "$dir"
tmp="$(mktemp -d "$dir/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOBIN="$tmp" \
  go install -trimpath -ldflags "-s -w -X 'sigs.k8s.io/release-utils/version.gitVersion=v$COSIGN_VERSION'" \
  "github.com/sigstore/cosign/v2/cmd/cosign@v$COSIGN_VERSION"
mv "$tmp/cosign" "$dir/cosign"
