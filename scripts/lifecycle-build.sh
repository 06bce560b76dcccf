# shellcheck shell=bash
# Sourced by scripts/setup.sh (cnbkit's patched lifecycle) and scripts/fetch-stock-lifecycle.sh
# (the upstream one, for the bench): what both builds of the CNB lifecycle share.
#
# Needs from the sourcing script: ROOT (the repository) and LIFECYCLE_VERSION.

# lifecycle_source <work>: the lifecycle module's source in <work>/src, with the one change reach
# forces. `go install github.com/buildpacks/lifecycle/cmd/lifecycle@vX` does not work here: the
# lifecycle requires github.com/osscontainertools/kaniko, which the Go module proxy refuses
# (403). kaniko is used by one package only, the extender's Dockerfile applier, so it is
# replaced by one that refuses image extensions (scripts/lifecycle-no-kaniko.go.txt).
lifecycle_source() {
  local work="$1" mod="github.com/buildpacks/lifecycle@v$LIFECYCLE_VERSION"
  GOFLAGS=-mod=mod go mod download "$mod"
  cp -r "$(go env GOMODCACHE)/$mod" "$work/src"
  chmod -R u+w "$work/src"
  rm -f "$work/src/internal/extend/kaniko/"*.go
  cp "$ROOT/scripts/lifecycle-no-kaniko.go.txt" "$work/src/internal/extend/kaniko/dockerfile_applier.go"
  (cd "$work/src" && go mod edit -droprequire github.com/osscontainertools/kaniko)
}

# lifecycle_install <work> <goarch> <stamp> <dest>: builds lifecycle and launcher from
# <work>/src for <goarch> and lays them out as a release tarball's lifecycle/ directory (the
# phase links, and the lifecycle.toml builders read) in <dest>, with <stamp> in its
# .cnbkit-patches (what a later run compares to know the build is current).
lifecycle_install() {
  local work="$1" goarch="$2" stamp="$3" dest="$4"
  local ldflags="-s -w -X 'github.com/buildpacks/lifecycle/cmd.Version=$LIFECYCLE_VERSION'"
  mkdir -p "$work/out"
  for cmd in lifecycle launcher; do
    (cd "$work/src" && CGO_ENABLED=0 GOOS=linux GOARCH="$goarch" GOFLAGS="-mod=mod -buildvcs=false" \
      go build -trimpath -ldflags "$ldflags" -o "$work/out/$cmd" "./cmd/$cmd")
  done
  for phase in detector analyzer restorer builder exporter rebaser creator extender; do
    ln -sf lifecycle "$work/out/$phase"
  done
  # The API lists are those of lifecycle v0.21.17's api/apis.go.
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
  echo "$stamp" >"$work/out/.cnbkit-patches"
  rm -rf "$dest"
  mv "$work/out" "$dest"
}
