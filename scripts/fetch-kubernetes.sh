#!/usr/bin/env bash
# Builds Kubernetes' node and control-plane binaries (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kube-proxy, kubectl) from the k8s.io/kubernetes Go module into
# ~/.cache/cnbkit/kubernetes/<version>/, for a single-node cluster on this machine (issue 56:
# cnbkit's builders under Tekton and kpack). Only the cluster tests use them; nothing in the main
# job or `npm run test:all` does.
#
# Why from the module and not a release download: dl.k8s.io is out of reach here, the Go module
# proxy is not. The module's go.mod points its 31 staging modules at ./staging/..., which the
# module zip leaves out (each is a module of its own), so the build points them at the published
# k8s.io/* v0.<minor>.<patch> instead. Two samples are not published (the proxy answers 403 for
# sample-cli-plugin and sample-controller); no binary imports them, so their replaces go.
#
# Measured on 2 cores: ~12 min for kube-apiserver alone on an idle machine; all five in ~55 min
# at nice 19 beside a load average of 15-22. The Go build cache makes a second build a link only.
set -euo pipefail

K8S_VERSION="${CNBKIT_KUBERNETES_VERSION:-1.34.4}"
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
dir="$CACHE/kubernetes/v$K8S_VERSION"
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

# Only what is missing is built: a cache made before a binary joined the list gains just that one.
missing=()
for b in "${BINARIES[@]}"; do [ -x "$dir/bin/$b" ] || missing+=("$b"); done
[ "${#missing[@]}" -eq 0 ] && exit 0

printf '[cluster] building %s of Kubernetes v%s from its Go module (first run only: ~15-55 min on 2 cores)\n' "${missing[*]}" "$K8S_VERSION"
mod="k8s.io/kubernetes@v$K8S_VERSION"
GOFLAGS=-mod=mod go mod download "$mod"
staging="v0.${K8S_VERSION#1.}"
mkdir -p "$dir"
work="$(mktemp -d "$dir/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The module cache is read-only: build from a writable copy whose go.mod we may edit.
cp -r "$(go env GOMODCACHE)/$mod/." "$work/src"
chmod -R u+w "$work/src"
cd "$work/src"
# go.work would put ./staging back; vendor/ in the zip holds only an OWNERS file.
rm -rf go.work go.work.sum vendor
sed -i -E "s#^(\s*)(k8s\.io/[a-z0-9-]+) => \./staging/src/k8s\.io/[a-z0-9-]+#\1\2 => \2 $staging#" go.mod
sed -i -E '/k8s\.io\/sample-(cli-plugin|controller) => /d' go.mod
if grep -q '=> ./staging' go.mod; then
  echo "error: go.mod of $mod still replaces a module with ./staging after the rewrite; check its replace block" >&2
  exit 1
fi
pkgs=()
for b in "${missing[@]}"; do pkgs+=("./cmd/$b"); done
mkdir -p "$work/bin"
# The version the binaries report (hack/lib/version.sh sets these from git, which the zip lacks):
# without it the apiserver says v0.0.0-master, and controllers that check the server's version
# (Tekton's) refuse it. A fixed build date keeps the binaries the same from run to run.
major="${K8S_VERSION%%.*}"
minor="${K8S_VERSION#*.}"
minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
GOWORK=off CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -ldflags "$ldflags" -o "$work/bin/" "${pkgs[@]}"
mkdir -p "$dir/bin"
for b in "${missing[@]}"; do
  [ -x "$work/bin/$b" ] || { echo "error: go build made no $b" >&2; exit 1; }
  mv "$work/bin/$b" "$dir/bin/$b"
done
printf '[cluster] Kubernetes v%s binaries in %s\n' "$K8S_VERSION" "$dir/bin"
