#!/usr/bin/env bash
# Builds kpack's commands (controller, webhook, build-init, build-waiter, rebase, completion) from
# kpack's source at a release tag, and keeps its config/ YAML beside them, in
# ~/.cache/cnbkit/kpack/v<version>/, for the cluster suite (issue 56: cnbkit's builders under kpack).
# Prints that directory. Only test/cluster uses it.
#
# Why from source: kpack's module (github.com/pivotal/kpack) is not served by the Go module proxy,
# and its release.yaml names images on ghcr.io, out of reach here. Its dependencies are on the proxy.
# The source comes from a git repository holding the tag: $CNBKIT_KPACK_GIT (a git dir; on this
# machine the snapshot under /work/.mirror), else a clone of github.com/buildpacks-community/kpack.
#
# The binaries are built as kpack's hack/build.sh builds them with ko: the controller's ldflags
# point the build pod's commands at /ko-app/<name> (the images test/cluster/kpack-images.ts writes),
# and cmd.Version/cmd.Commit are set as kpack's release action sets them.
set -euo pipefail

KPACK_VERSION="${CNBKIT_KPACK_VERSION:-0.17.2}"
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
GIT_DIR_DEFAULT=/work/.mirror/buildpacks-community+kpack/repo
KPACK_GIT="${CNBKIT_KPACK_GIT:-$GIT_DIR_DEFAULT}"
dir="$CACHE/kpack/v$KPACK_VERSION"
BINARIES=(controller webhook build-init build-waiter rebase completion)

have_all() {
  [ -d "$dir/config" ] && [ -f "$dir/commit" ] || return 1
  for b in "${BINARIES[@]}"; do [ -x "$dir/bin/$b" ] || return 1; done
}
if have_all; then
  echo "$dir"
  exit 0
fi
# One build at a time; a second caller waits, then finds the first one's binaries.
mkdir -p "$CACHE/kpack"
exec 9>"$CACHE/kpack/v$KPACK_VERSION.lock"
flock 9
if have_all; then
  echo "$dir"
  exit 0
fi

t0=$SECONDS
printf '[kpack] building kpack v%s from source (first run only)\n' "$KPACK_VERSION" >&2
mkdir -p "$dir"
work="$(mktemp -d "$dir/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tag="v$KPACK_VERSION"
if [ -d "$dir/src" ] && [ -f "$dir/src/go.mod" ] && [ -f "$dir/src.commit" ]; then
  commit="$(cat "$dir/src.commit")"
else
  if ! git --git-dir "$KPACK_GIT" rev-parse -q --verify "refs/tags/$tag^{commit}" >/dev/null 2>&1; then
    printf '[kpack] no tag %s in %s: cloning github.com/buildpacks-community/kpack\n' "$tag" "$KPACK_GIT" >&2
    git clone -q --bare --depth 1 --branch "$tag" https://github.com/buildpacks-community/kpack "$work/kpack.git" ||
      { echo "error: kpack $tag: no git repository with the tag (set CNBKIT_KPACK_GIT to a clone of github.com/buildpacks-community/kpack)" >&2; exit 1; }
    KPACK_GIT="$work/kpack.git"
  fi
  commit="$(git --git-dir "$KPACK_GIT" rev-parse "refs/tags/$tag^{commit}")"
  rm -rf "$dir/src"
  mkdir -p "$work/src"
  # docs/ is left out: the build needs none of it, and a snapshot may lack its large images
  # (named one by one, the other top-level entries keep git archive from reading docs/ at all).
  mapfile -t top < <(git --git-dir "$KPACK_GIT" ls-tree --name-only "$commit" | grep -vx docs)
  git --git-dir "$KPACK_GIT" archive "$commit" -- "${top[@]}" | tar -x -C "$work/src"
  mv "$work/src" "$dir/src"
  echo "$commit" >"$dir/src.commit"
fi
printf '[kpack] source: %s at %s\n' "$tag" "$commit" >&2

cd "$dir/src"
prefix=github.com/pivotal/kpack
ldflags="-s -w -X '$prefix/cmd.Version=$KPACK_VERSION' -X '$prefix/cmd.Commit=$commit'"
ldflags+=" -X $prefix/pkg/apis/build/v1alpha2.CompletionCommand=/ko-app/completion"
ldflags+=" -X $prefix/pkg/apis/build/v1alpha2.PrepareCommand=/ko-app/build-init"
ldflags+=" -X $prefix/pkg/apis/build/v1alpha2.RebaseCommand=/ko-app/rebase"
pkgs=()
for b in "${BINARIES[@]}"; do pkgs+=("./cmd/$b"); done
mkdir -p "$work/bin"
# Static (the images have no libc), no build paths: what ko builds for a release.
GOWORK=off CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" \
  go build -trimpath -ldflags "$ldflags" -o "$work/bin/" "${pkgs[@]}"
for b in "${BINARIES[@]}"; do
  [ -x "$work/bin/$b" ] || { echo "error: go build made no $b" >&2; exit 1; }
done
cp -r config "$work/config"
rm -rf "$dir/bin" "$dir/config"
mv "$work/bin" "$dir/bin"
mv "$work/config" "$dir/config"
echo "$commit" >"$dir/commit"
printf '[kpack] kpack v%s binaries in %s (%ss)\n' "$KPACK_VERSION" "$dir/bin" "$((SECONDS - t0))" >&2
echo "$dir"
