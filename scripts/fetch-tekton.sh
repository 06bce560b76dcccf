#!/usr/bin/env bash
# Builds Tekton Pipelines' binaries (controller, webhook, and the step images' entrypoint, nop,
# workingdirinit and sidecarlogresults) from the github.com/tektoncd/pipeline Go module, and keeps
# its config/ YAML beside them, in ~/.cache/cnbkit/tekton/v<version>/, for the cluster suite
# (issue 56: cnbkit's builders under Tekton). Prints that directory. Only test/cluster uses it.
#
# Why from the module and not a release: Tekton's release.yaml names images on ghcr.io and
# cgr.dev, out of reach here; the Go module proxy is not. ko would build the same binaries, then
# want a base image from cgr.dev; test/cluster/tekton-images.ts writes the images itself instead.
#
# Left out: cmd/events (the CloudEvents controller, config/events.yaml) and cmd/resolvers
# (config/resolvers/, remote Task resolution): a TaskRun with its Task in the cluster needs neither.
set -euo pipefail

TEKTON_VERSION="${CNBKIT_TEKTON_VERSION:-1.6.0}"
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
dir="$CACHE/tekton/v$TEKTON_VERSION"
BINARIES=(controller webhook entrypoint nop workingdirinit sidecarlogresults)

have_all() {
  [ -d "$dir/config" ] || return 1
  for b in "${BINARIES[@]}"; do [ -x "$dir/bin/$b" ] || return 1; done
}
if have_all; then
  echo "$dir"
  exit 0
fi
# One build at a time; a second caller waits, then finds the first one's binaries.
mkdir -p "$CACHE/tekton"
exec 9>"$CACHE/tekton/v$TEKTON_VERSION.lock"
flock 9
if have_all; then
  echo "$dir"
  exit 0
fi

t0=$SECONDS
printf '[tekton] building Tekton Pipelines v%s from its Go module (first run only)\n' "$TEKTON_VERSION" >&2
mod="github.com/tektoncd/pipeline@v$TEKTON_VERSION"
GOFLAGS=-mod=mod go mod download "$mod"
mkdir -p "$dir"
work="$(mktemp -d "$dir/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The module cache is read-only and the module's go.mod has replace lines, so `go install
# module@version` refuses it: build inside a writable copy, as the module's own main module.
cp -r "$(go env GOMODCACHE)/$mod/." "$work/src"
chmod -R u+w "$work/src"
cd "$work/src"
rm -rf go.work go.work.sum vendor
pkgs=()
for b in "${BINARIES[@]}"; do pkgs+=("./cmd/$b"); done
mkdir -p "$work/bin"
# Static (the images have no libc), no symbol tables, no build paths: what ko builds for a release.
GOWORK=off CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" \
  go build -trimpath -ldflags "-s -w" -o "$work/bin/" "${pkgs[@]}"
for b in "${BINARIES[@]}"; do
  [ -x "$work/bin/$b" ] || { echo "error: go build made no $b" >&2; exit 1; }
  # ko puts each command's kodata/ (its LICENSE) at $KO_DATA_PATH; keep them for the images.
  if [ -d "cmd/$b/kodata" ]; then
    mkdir -p "$work/kodata/$b"
    cp -rL "cmd/$b/kodata/." "$work/kodata/$b/"
  fi
done
mkdir -p "$work/kodata"
cp -r config "$work/config"
rm -rf "$dir/bin" "$dir/config" "$dir/kodata"
mv "$work/bin" "$dir/bin"
mv "$work/kodata" "$dir/kodata"
mv "$work/config" "$dir/config"
printf '[tekton] Tekton Pipelines v%s binaries in %s (%ss)\n' "$TEKTON_VERSION" "$dir/bin" "$((SECONDS - t0))" >&2
echo "$dir"
