#!/usr/bin/env bash
# Builds the upstream CNB lifecycle with only the change reaching the Go module proxy forces
# (scripts/lifecycle-no-kaniko.go.txt) into ~/.cache/cnbkit/lifecycle/<version>-stock/, laid out
# like scripts/setup.sh's patched build (lifecycle, launcher, phase links, lifecycle.toml).
# Only bench/build.bench.ts uses it (BENCH_BUILD_STOCK=1), to print cnbkit's figures on the
# lifecycle users of kpack or `pack --lifecycle-image` run, beside the patched one setup.sh
# builds; setup.sh does not build it. Built on first use (~1 min), then a no-op.
#
#   scripts/fetch-stock-lifecycle.sh            prints the directory on its last line
set -euo pipefail

LIFECYCLE_VERSION="${CNBKIT_LIFECYCLE_VERSION:-0.21.17}"
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lc="$CACHE/lifecycle/$LIFECYCLE_VERSION-stock"
# The one change, so a stock build made from another no-kaniko file is built again.
key="$(sha256sum "$ROOT/scripts/lifecycle-no-kaniko.go.txt" | cut -c1-16)"
if [ -x "$lc/lifecycle" ] && [ -x "$lc/launcher" ] && [ -f "$lc/lifecycle.toml" ] &&
  [ "$(cat "$lc/.cnbkit-patches" 2>/dev/null)" = "stock $key" ]; then
  echo "$lc"
  exit 0
fi

printf '[setup] building the stock lifecycle v%s with Go (first use only; ~1 min)\n' "$LIFECYCLE_VERSION" >&2
mod="github.com/buildpacks/lifecycle@v$LIFECYCLE_VERSION"
GOFLAGS=-mod=mod go mod download "$mod"
mkdir -p "$CACHE/lifecycle"
work="$(mktemp -d "$CACHE/lifecycle/.build-stock.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp -r "$(go env GOMODCACHE)/$mod" "$work/src"
chmod -R u+w "$work/src"
# The same replacement as setup.sh's: kaniko (image extensions only) is refused by the proxy.
rm -f "$work/src/internal/extend/kaniko/"*.go
cp "$ROOT/scripts/lifecycle-no-kaniko.go.txt" "$work/src/internal/extend/kaniko/dockerfile_applier.go"
(cd "$work/src" && go mod edit -droprequire github.com/osscontainertools/kaniko)
ldflags="-s -w -X 'github.com/buildpacks/lifecycle/cmd.Version=$LIFECYCLE_VERSION'"
mkdir -p "$work/out"
for cmd in lifecycle launcher; do
  (cd "$work/src" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" \
    go build -trimpath -ldflags "$ldflags" -o "$work/out/$cmd" "./cmd/$cmd") >&2
done
for phase in detector analyzer restorer builder exporter rebaser creator extender; do
  ln -sf lifecycle "$work/out/$phase"
done
# The same lifecycle.toml as setup.sh's (lifecycle v0.21.17's api/apis.go).
cat >"$work/out/lifecycle.toml" <<TOML
[apis]
[apis.buildpack]
  deprecated = []
  supported = ["0.7", "0.8", "0.9", "0.10", "0.11", "0.12"]
[apis.platform]
  deprecated = []
  supported = ["0.7", "0.8", "0.9", "0.10", "0.11", "0.12", "0.13", "0.14", "0.15"]

[lifecycle]
  version = "$LIFECYCLE_VERSION"
TOML
echo "stock $key" >"$work/out/.cnbkit-patches"
rm -rf "$lc"
mv "$work/out" "$lc"
rm -rf "$work"
trap - EXIT
echo "$lc"
