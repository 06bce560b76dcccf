#!/usr/bin/env bash
# The README's main job, from a fresh clone (as root): build the reference builder (every
# reference buildpack), build the example apps (examples/apps/node-hello, python-hello,
# java-hello and go-hello) into OCI images with it, run each under runc, show it answering
# HTTP, stop it, and print `cnbkit inspect` of the image.
#
# Idempotent and quick when cached: base images, the Node.js and CPython tarballs, the offline nodejs and python
# buildpackage and the builder are rebuilt only when their inputs change; the app build
# reuses its cache and the previous image's layers.
#
# This machine reaches neither nodejs.org nor python-build-standalone's releases, so the
# builder is the reference builder's LOCAL variant (builders/reference/README.md, made by
# tools/local-builder):
# cnbkit/nodejs carries Node.js tarballs made from npm packages, cnbkit/python CPythons 3.11,
# 3.13, 3.14 and 3.15 (the last two from Debian unstable) and cnbkit/java JDKs 17, 21 and 25 made from Debian's packages, instead of the official inventories. Everything
# else is builders/reference.
#
# `scripts/main.sh --arch arm64` does the same for linux/arm64 on an amd64 machine, under qemu:
# arm64 base images (~20 min of emulated debootstrap the first time), the arm64 lifecycle and
# Node.js, CPython and JDKs, an arm64 builder and app images, run and asked over HTTP. Its images get
# their own names (base-arm64, builder-arm64, app-arm64, python-app-arm64, java-app-arm64). The qemu is the one >= 8.0 that setup.sh
# fetches (`setup.sh --arch arm64`, which main.sh runs: only this job needs qemu and the other
# arch's lifecycle, so the plain main job does not install them); cnbkit registers it in binfmt_misc (one line saying so) when it is not, e.g. on a
# fresh machine where binfmt_misc is not even mounted.
#
# `scripts/main.sh --multi-arch` makes the reference builder for linux/amd64 AND linux/arm64 as one
# image index, .cnbkit/images/builder-multi (base images of both arches behind one index per role,
# each arch's local Node.js, CPython and JDK buildpackages joined into multi-arch buildpackages:
# tools/local-builder/multi-arch.ts), then builds each example app once for both platforms
# (`cnbkit build --platform linux/amd64,linux/arm64`) into one app index (app-multi,
# python-app-multi, java-app-multi) and runs and asks each platform's image, the other arch's
# under qemu.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '\n[main] %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
cnbkit() { node "$ROOT/builder-packager/dist/cnbkit.mjs" "$@"; }

arch=""
multi=""
case "${1:-}" in
  "") ;;
  --arch)
    [ "${2:-}" = arm64 ] || [ "${2:-}" = amd64 ] || { echo "error: --arch takes amd64 or arm64" >&2; exit 2; }
    arch="$2"
    ;;
  --multi-arch) multi=1 ;;
  *) echo "error: unknown argument $1 (usage: scripts/main.sh [--arch amd64|arm64 | --multi-arch])" >&2; exit 2 ;;
esac
host_arch="$(node -p 'process.arch === "x64" ? "amd64" : process.arch')"
[ "$arch" != "$host_arch" ] || arch=""
# --multi-arch: the other arch's tools (qemu, its lifecycle) are set up as for --arch.
other_arch="$([ "$host_arch" = amd64 ] && echo arm64 || echo amd64)"
setup_arch="${arch:-${multi:+$other_arch}}"
# The arches each app image is asked on: this machine's, or the one --arch names, or both.
if [ -n "$multi" ]; then run_arches=(amd64 arm64); else run_arches=("${arch:-$host_arch}"); fi
# Image names: the host arch keeps the plain ones.
sfx="${arch:+-$arch}${multi:+-multi}"
base=".cnbkit/images/base$sfx"
builder=".cnbkit/images/builder$sfx"
app=".cnbkit/images/app$sfx"
python_app=".cnbkit/images/python-app$sfx"
java_app=".cnbkit/images/java-app$sfx"
go_app=".cnbkit/images/go-app$sfx"

if [ "$(id -u)" != 0 ]; then
  echo "error: scripts/main.sh runs builds under runc and must run as root" >&2
  exit 1
fi

t0=$(now)
say "setup (npm workspaces, Debian packages, lifecycle, bundled CLI; only what the main job uses)"
bash scripts/setup.sh ${setup_arch:+--arch "$setup_arch"}

if [ -n "$multi" ]; then
  local_args=(--multi-arch --out .cnbkit/builders/reference-local-multi)
  targets=(--target linux/amd64 --target linux/arm64)
else
  local_args=(${arch:+--arch "$arch" --out ".cnbkit/builders/reference-local-$arch"})
  targets=()
fi

say "base images (Debian 13 trixie, debootstrap; minutes the first time, cached after)"
t=$(now)
# Meanwhile, the local builder's Node.js, CPython and JDK tarballs and buildpackages: they do not
# depend on the base images (only the builder.toml made below does), and on a fresh machine both
# are mostly downloads and unpacking. Best effort: the step below makes whatever this did not.
early_log="$(mktemp)"
node scripts/local-node-dist.mjs "${local_args[@]}" >/dev/null 2>"$early_log" &
early=$!
# A failed base create stops the job: the early start goes with it.
trap 'kill "$early" 2>/dev/null || true; rm -f "$early_log"' EXIT
if [ -n "$multi" ]; then
  cnbkit base create --output "oci:$base" --target linux/amd64 --target linux/arm64
else
  cnbkit base create --output "oci:$base" ${arch:+--arch "$arch"}
fi
echo "  $(since "$t")"

say "reference builder, local variant (Node.js from npm packages, CPython from Debian's: their upstreams are unreachable here)"
t=$(now)
if wait "$early"; then
  echo "  tarballs and buildpackages made while the base images were ($(grep -c . "$early_log") progress lines)"
else
  echo "  making them now (the early start stopped: $(tail -n 1 "$early_log"))"
fi
rm -f "$early_log"
trap - EXIT
IFS=$'\t' read -r builder_toml inputs < <(node scripts/local-node-dist.mjs --base "$base" "${local_args[@]}")
stamp="$builder.inputs"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ] && skopeo inspect --raw "oci:$builder:latest" >/dev/null 2>&1; then
  echo "  builder unchanged (inputs $inputs), not recreated"
else
  rm -f "$stamp"
  cnbkit builder create "$builder_toml" "${targets[@]}" --output "oci:$builder:latest"
  echo "$inputs" >"$stamp"
fi
echo "  $(since "$t")"

# npm and pip in the build container reach their registries through this machine's TLS proxy, whose CA
# is in the host bundle but not in the Debian build image's: hand it over as a binding of
# type ca-certificates (cnbkit/ca-certificates trusts it for the build).
bindings=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  ca=.cnbkit/bindings/ca
  mkdir -p "$ca"
  printf 'ca-certificates' >"$ca/type"
  cp "$NODE_EXTRA_CA_CERTS" "$ca/ca.pem"
  bindings=(--binding "ca=$ROOT/$ca")
fi

# Builds examples/apps/<name> into oci:<image>:latest, runs it under runc on a free loopback
# port, prints its answer, stops it and checks that nothing is left, then prints `cnbkit
# inspect` and skopeo's reading of its architecture.
# An optional third argument is how long to wait for the first answer (60 s by default), and
# any further arguments are `--env NAME=VALUE` pairs given to both the build and the run.
build_and_ask() {
  local name="$1" image="$2" wait="${3:-60}" t
  local -a envs=("${@:4}")
  say "build examples/apps/$name"
  t=$(now)
  cnbkit build "examples/apps/$name" --builder "oci:$builder:latest" \
    --output "oci:$image:latest" ${multi:+--platform linux/amd64,linux/arm64} "${bindings[@]}" "${envs[@]}"
  echo "  $(since "$t")"
  local run_arch
  for run_arch in "${run_arches[@]}"; do
    ask_image "$name" "$image" "$wait" "$run_arch" "${envs[@]}"
  done

  say "cnbkit inspect oci:$image:latest"
  cnbkit inspect "oci:$image:latest"
}

# Runs oci:<image>:latest's image for linux/<arch> (an index's entry, or the one image) under runc on
# a free loopback port, prints its answer, stops it and checks that nothing is left, then prints
# skopeo's reading of its architecture. Further arguments are `--env NAME=VALUE` pairs.
ask_image() {
  local name="$1" image="$2" wait="$3" want="$4" t
  local -a envs=("${@:5}")
  # An index is run and read per platform; a plain image as it is (it has one).
  local -a platform=() override=()
  if [ -n "$multi" ]; then
    platform=(--platform "linux/$want")
    override=(--override-arch "$want")
  fi

  say "run the $name image (linux/$want) and ask it something"
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  log=$(mktemp "$tmp/cnbkit-main-run.XXXXXX")
  # Started directly, not through the cnbkit() function: a backgrounded function is a subshell,
  # and $! would be the subshell's PID, not the CLI's, so stopping it would leak the app.
  # HOST=127.0.0.1: the example apps listen on loopback only when asked to.
  node "$ROOT/builder-packager/dist/cnbkit.mjs" run "oci:$image:latest" "${platform[@]}" --port "$port" \
    --env HOST=127.0.0.1 "${envs[@]}" >"$log" 2>&1 &
  run_pid=$!
  trap 'stop_app; rm -f "$log"' EXIT
  answer=""
  # Up to $wait seconds: an emulated arm64 gunicorn takes seconds to start, an emulated JVM minutes.
  t=$(now)
  local deadline=$((SECONDS + wait))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if answer=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/" 2>/dev/null); then break; fi
    if ! kill -0 "$run_pid" 2>/dev/null; then
      cat "$log" >&2
      echo "error: cnbkit run of $name exited before the app answered" >&2
      exit 1
    fi
    sleep 0.2
  done
  if [ -z "$answer" ]; then
    cat "$log" >&2
    echo "error: $name did not answer on 127.0.0.1:$port within $wait s" >&2
    exit 1
  fi
  echo "  GET http://127.0.0.1:$port/ -> $answer (first answer $(since "$t") after cnbkit run started)"
  stop_app
  trap 'rm -f "$log"' EXIT
  check_stopped "$name"
  rm -f "$log"

  # skopeo's reading of the image, not only ours.
  got="$(skopeo inspect --raw "oci:$image:latest" >/dev/null && skopeo "${override[@]}" inspect --config "oci:$image:latest" | node -p 'JSON.parse(require("fs").readFileSync(0)).architecture')"
  if [ "$got" != "$want" ]; then
    echo "error: skopeo reads the $name image as $got, expected $want" >&2
    exit 1
  fi
  echo "  skopeo: linux/$got"
}

# A stop takes ~1 s (kill, runc delete, overlay view released); 20 s of grace, because on a
# loaded 2-core machine one arm64 stop took more than the 5 s this used to allow.
stop_app() {
  if kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM "$run_pid" 2>/dev/null || true
    local t0
    t0=$(now)
    for _ in $(seq 200); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$run_pid" 2>/dev/null || echo "  cnbkit run stopped in $(since "$t0")"
    kill -KILL "$run_pid" 2>/dev/null || true
  fi
  run_status=0
  wait "$run_pid" 2>/dev/null || run_status=$?
}

# After stop_app: no runc container, process or rootfs view of that run is left.
check_stopped() {
  local left="" root
  # cnbkit runs each container under its own runc state root, $TMPDIR/cnbkit-runc-<pid>-*.
  for root in "$tmp"/cnbkit-runc-"$run_pid"-*; do
    [ -d "$root" ] || continue
    left+="$(runc --root "$root" list -q 2>/dev/null)"
  done
  if [ -n "$left" ]; then
    echo "error: runc container(s) still there after stopping $1: $left" >&2
    exit 1
  fi
  if kill -0 "$run_pid" 2>/dev/null || grep -q "/cnbkit-view-$run_pid-" /proc/mounts; then
    echo "error: cnbkit run (pid $run_pid) or its rootfs view is still there after stopping $1" >&2
    exit 1
  fi
  if [ "$run_status" != 0 ]; then
    cat "$log" >&2
    echo "error: cnbkit run of $1 exited with status $run_status when asked to stop; expected 0" >&2
    exit 1
  fi
  echo "  stopped (pid $run_pid, exit 0); no runc container left"
}

tmp="${TMPDIR:-/tmp}"
build_and_ask node-hello "$app"
build_and_ask python-hello "$python_app"
# go-hello's arm64 binary is cross-compiled by the amd64 build in a --multi-arch run (no qemu).
build_and_ask go-hello "$go_app"
# java-hello builds and runs on Java 21 (pom.xml java.version; Debian 13's JDK 21 builds it and
# the same package's JRE runs it). On arm64 under qemu, Maven and the app run emulated, where
# the JIT's C2 compiles cost more than they save: both get -XX:TieredStopAtLevel=1 (the
# JVM's C1 only; the app's first answer 190 s against 426 s by default), and Spring Boot gets
# minutes, not seconds, to answer (builders/reference/README.md).
if [ -z "$arch" ] && [ -z "$multi" ]; then
  build_and_ask java-hello "$java_app"
else
  build_and_ask java-hello "$java_app" 900 \
    --env MAVEN_OPTS=-XX:TieredStopAtLevel=1 --env JAVA_TOOL_OPTIONS=-XX:TieredStopAtLevel=1
fi

say "done in $(since "$t0")"
