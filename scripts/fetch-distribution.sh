#!/usr/bin/env bash
# Builds the distribution registry v3 (what the `registry:3` image runs) from its Go module into
# ~/.cache/cnbkit/distribution/<version>/registry; prints that path.
# Only the fleet bench uses it. The tests keep Debian's docker-registry (2.8.2), but 2.8
# rebuilds its whole route table on every request (gorilla/mux compiles every route's regexp
# each time: 69% of its CPU in a pprof profile of manifest GETs), which v3 no longer does. On
# 2 cores that shares the CPU with the client, the fleet bench measures both.
set -euo pipefail
version="${CNBKIT_DISTRIBUTION_VERSION:-3.0.0}"
bash "$(dirname "${BASH_SOURCE[0]}")/go-install-tool.sh" distribution registry \
  github.com/distribution/distribution/v3/cmd/registry "$version" >&2
echo "${CNBKIT_CACHE:-$HOME/.cache/cnbkit}/distribution/$version/registry"
